import { createRoute, z } from '@hono/zod-openapi';
import { pageOf } from '#shared/http/paging.ts';
import { problemContentType, problemResponses, problemSchema, retryAfterHeader } from '#shared/http/problem.ts';
import { customerIdParams, pageQuery, timestamp } from '../http/params.ts';
import { maxTopUp } from './top-up-credit.ts';

const krw = (description: string) => z.number().int().openapi({ description, example: 1_000_000 });

export const creditSchema = z
  .object({
    customerId: z.string(),
    balance: krw('Current balance, KRW'),
    openingBalance: krw('Balance the account was opened with, KRW'),
    ledgerSum: krw('Sum of all signed ledger amounts, KRW'),
    ledgerEntries: z.number().int(),
    ledgerConsistent: z.boolean().openapi({ description: 'balance == openingBalance + ledgerSum, and the newest ledger row ends at the balance' }),
    version: z.number().int(),
    updatedAt: timestamp,
  })
  .openapi('Credit');

export const ledgerKindSchema = z.enum(['CHARGE', 'REFUND', 'TOP_UP']).openapi('LedgerKind');

export const ledgerEntrySchema = z
  .object({
    id: z.number().int(),
    customerId: z.string(),
    orderId: z.string().nullable(),
    kind: ledgerKindSchema,
    amount: z.number().int().openapi({ description: 'Signed: negative for a charge', example: -15_000 }),
    balanceAfter: z.number().int(),
    actor: z
      .string()
      .nullable()
      .openapi({ description: "The operator of a top-up (their admin token's subject); null for the saga's charges and refunds", example: 'ops-1' }),
    createdAt: timestamp,
  })
  .openapi('LedgerEntry');

export const historyPageSchema = pageOf(ledgerEntrySchema).openapi('CreditHistoryPage');

export const ledgerAuditSchema = z
  .object({
    accounts: z.number().int(),
    consistent: z.boolean(),
    inconsistent: z.array(creditSchema),
  })
  .openapi('LedgerAudit');

export const topUpRequestSchema = z
  .strictObject({
    amount: z
      .number()
      .int()
      .min(1)
      .max(maxTopUp)
      .openapi({ description: `KRW, 1 – ${maxTopUp}`, example: 50_000 }),
  })
  .openapi('TopUpRequest');

export const topUpSchema = z
  .object({
    entry: ledgerEntrySchema,
    balance: krw('Balance after the top-up, KRW'),
    replayed: z.boolean().openapi({ description: 'True when an earlier request with the same Idempotency-Key is answered again' }),
  })
  .openapi('TopUp');

const tags = ['Credits'];

export const ledgerAudit = createRoute({
  method: 'get',
  operationId: 'checkLedger',
  path: '/api/v1/credits/ledger-check',
  tags,
  summary: 'Check every account: balance == opening balance + Σ ledger',
  responses: {
    200: { description: 'Result of the check over all accounts', content: { 'application/json': { schema: ledgerAuditSchema } } },
    ...problemResponses(503),
  },
});

export const getCredit = createRoute({
  method: 'get',
  operationId: 'getCredit',
  path: '/api/v1/credits/{customerId}',
  tags,
  summary: "A customer's credit balance and its ledger check",
  request: { params: customerIdParams },
  responses: {
    200: { description: 'The credit account', content: { 'application/json': { schema: creditSchema } } },
    ...problemResponses(400, 404, 503),
  },
});

export const getCreditHistory = createRoute({
  method: 'get',
  operationId: 'getCreditHistory',
  path: '/api/v1/credits/{customerId}/history',
  tags,
  summary: "A customer's credit ledger, newest first",
  request: { params: customerIdParams, query: pageQuery },
  responses: {
    200: { description: 'One page of the ledger', content: { 'application/json': { schema: historyPageSchema } } },
    ...problemResponses(400, 404, 503),
  },
});

export const topUpCredit = createRoute({
  method: 'post',
  operationId: 'topUpCredit',
  path: '/api/v1/credits/{customerId}/top-ups',
  tags: ['Credits (admin)'],
  summary: 'Add credit to a customer account (TOP_UP ledger row)',
  request: {
    params: customerIdParams,
    headers: z.object({
      'idempotency-key': z.string().min(1).max(100).optional().openapi({
        description:
          "The customer's own key for this top-up, kept 24 hours: same key and body → the first top-up answered again, nothing added twice; same key, other body → 409. After a 503 whose outcome is unknown, retry with the same key",
      }),
    }),
    body: { content: { 'application/json': { schema: topUpRequestSchema } }, required: true },
  },
  responses: {
    201: { description: 'Credit added (or an earlier identical request answered again)', content: { 'application/json': { schema: topUpSchema } } },
    ...problemResponses(400, 404, 409, 413, 415, 422),
    503: {
      description:
        'Database unavailable, or the connection was lost during the commit and whether it credited is not known yet: retry after Retry-After with the same Idempotency-Key (never credits twice)',
      headers: retryAfterHeader,
      content: { [problemContentType]: { schema: problemSchema } },
    },
  },
});
