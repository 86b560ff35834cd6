import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope } from '#shared/contracts/envelope.ts';
import { productReservationResponseSchema } from '#shared/contracts/product-reservation.ts';
import { topics } from '#shared/contracts/topics.ts';
import type { RunningService } from '#shared/runtime/service-host.ts';
import { openSagaProbe, type SagaProbe } from '../../tests/support/saga-probe.ts';
import {
  createTestProduct,
  httpClient,
  isolatedKafka,
  productState,
  startProductService,
  type HttpClient,
  type IsolatedKafka,
} from './product-test-kit.ts';

const customerId = '3fa85f64-5717-4562-b3fc-2c963f66afa6';
let kafka: IsolatedKafka;
let service: RunningService;
let http: HttpClient;
let probe: SagaProbe;

const item = (productId: string, quantity: number, price: number) => ({ productId, quantity, price });
const reserve = (orderId: string, items: ReturnType<typeof item>[]) => probe.send('ReserveStock', orderId, { customerId, items });
const confirm = (orderId: string) => probe.send('ConfirmStock', orderId, {});
const release = (orderId: string) => probe.send('ReleaseStock', orderId, { reason: 'payment failed' });

/** Waits for the order's n-th reply, checks it answers `command`, and returns it. */
async function replyNumber(n: number, command: Envelope): Promise<Envelope> {
  const replies = await probe.waitFor(command.orderId!, n);
  const reply = replies[n - 1];
  expect(productReservationResponseSchema.safeParse({ type: reply.type, payload: reply.payload }).success).toBe(true);
  expect(reply).toMatchObject({ orderId: command.orderId, sagaId: command.sagaId, causationId: command.messageId });
  return reply;
}

interface ReservationView {
  orderId: string;
  quantity: number;
  unitPrice: number;
  status: string;
}

async function reservationsOf(productId: string): Promise<ReservationView[]> {
  return (await http.get(`/api/v1/products/${productId}/reservations`)).body.items;
}

describe('product service as a saga participant (real MariaDB and Kafka)', () => {
  beforeAll(async () => {
    kafka = await isolatedKafka('product-saga');
    service = await startProductService('product_saga_test', kafka);
    http = httpClient(service);
    probe = await openSagaProbe(kafka.kafka, [topics.productReservationResponse]);
  });

  afterAll(async () => {
    await probe?.close();
    await service?.stop();
    await kafka?.close();
  });

  it('reserves once: a redelivered command is skipped, a repeated command is answered again without reserving twice', async () => {
    const product = await createTestProduct(http, { price: 1_000, quantity: 10 });
    const orderId = randomUUID();
    const first = await reserve(orderId, [item(product.id, 3, 1_000)]);
    expect((await replyNumber(1, first)).type).toBe('StockReserved');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 3, available: 7 });

    await probe.resend(first); // same messageId: the inbox drops it, no reply
    const again = await reserve(orderId, [item(product.id, 3, 1_000)]);
    expect((await replyNumber(2, again)).type).toBe('StockReserved');
    expect(probe.seen(orderId)).toHaveLength(2);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 3, available: 7 });
    expect(await reservationsOf(product.id)).toEqual([expect.objectContaining({ orderId, quantity: 3, unitPrice: 1_000, status: 'RESERVED' })]);
  });

  it('confirms once: stock leaves the shelf, duplicates answer StockConfirmed, a later release is refused', async () => {
    const product = await createTestProduct(http, { price: 2_000, quantity: 10 });
    const orderId = randomUUID();
    expect((await replyNumber(1, await reserve(orderId, [item(product.id, 2, 2_000)]))).type).toBe('StockReserved');
    const first = await confirm(orderId);
    expect((await replyNumber(2, first)).type).toBe('StockConfirmed');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });

    await probe.resend(first);
    expect((await replyNumber(3, await confirm(orderId))).type).toBe('StockConfirmed');
    expect(probe.seen(orderId)).toHaveLength(3);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 8, reserved: 0 });

    const refused = await replyNumber(4, await release(orderId));
    expect(refused).toMatchObject({ type: 'StockReleaseRefused', payload: { code: 'ALREADY_CONFIRMED' } });
    expect((await replyNumber(5, await reserve(orderId, [item(product.id, 2, 2_000)]))).type).toBe('StockReserved');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
    expect(await reservationsOf(product.id)).toEqual([expect.objectContaining({ orderId, quantity: 2, status: 'CONFIRMED' })]);
  });

  it('releases once: reserved stock comes back, duplicates answer StockReleased, confirm and reserve afterwards are refused', async () => {
    const product = await createTestProduct(http, { price: 3_000, quantity: 10 });
    const orderId = randomUUID();
    expect((await replyNumber(1, await reserve(orderId, [item(product.id, 4, 3_000)]))).type).toBe('StockReserved');
    const first = await release(orderId);
    expect((await replyNumber(2, first)).type).toBe('StockReleased');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 0, available: 10 });

    await probe.resend(first);
    expect((await replyNumber(3, await release(orderId))).type).toBe('StockReleased');
    expect(probe.seen(orderId)).toHaveLength(3);
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 0 });

    const confirmRejected = await replyNumber(4, await confirm(orderId));
    expect(confirmRejected).toMatchObject({ type: 'StockConfirmRejected', payload: { code: 'ORDER_ALREADY_RELEASED' } });
    expect((confirmRejected.payload as { reason: string }).reason).toMatch(/released/);
    const reserveRejected = await replyNumber(5, await reserve(orderId, [item(product.id, 4, 3_000)]));
    expect(reserveRejected).toMatchObject({ type: 'StockRejected', payload: { code: 'ORDER_ALREADY_RELEASED' } });
    expect(await productState(http, product.id)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await reservationsOf(product.id)).toEqual([expect.objectContaining({ orderId, status: 'RELEASED' })]);
  });

  it('remembers a release that came before the reserve, and rejects the late reserve', async () => {
    const product = await createTestProduct(http, { price: 4_000, quantity: 5 });
    const orderId = randomUUID();
    expect((await replyNumber(1, await release(orderId))).type).toBe('StockReleased');
    const late = await replyNumber(2, await reserve(orderId, [item(product.id, 1, 4_000)]));
    expect(late).toMatchObject({ type: 'StockRejected', payload: { code: 'ORDER_ALREADY_RELEASED' } });
    expect((await replyNumber(3, await release(orderId))).type).toBe('StockReleased');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 5, reserved: 0 });
    expect(await reservationsOf(product.id)).toEqual([]);
  });

  it('reserves all items or none, and keeps answering a rejected order with the same rejection', async () => {
    const plenty = await createTestProduct(http, { price: 1_500, quantity: 10 });
    const scarce = await createTestProduct(http, { price: 2_500, quantity: 1 });
    const orderId = randomUUID();
    const items = [item(plenty.id, 2, 1_500), item(scarce.id, 2, 2_500)];
    const rejected = await replyNumber(1, await reserve(orderId, items));
    expect(rejected).toMatchObject({ type: 'StockRejected', payload: { code: 'INSUFFICIENT_STOCK' } });
    expect((rejected.payload as { reason: string }).reason).toContain(scarce.id);
    expect(await productState(http, plenty.id)).toMatchObject({ onHand: 10, reserved: 0 });
    expect(await productState(http, scarce.id)).toMatchObject({ onHand: 1, reserved: 0 });
    expect(await reservationsOf(plenty.id)).toEqual([]);

    // Now there would be enough, but the order was already decided: the same answer, no stock taken.
    expect((await http.post(`/api/v1/products/${scarce.id}/stock`, { quantity: 5 })).status).toBe(200);
    const repeated = await replyNumber(2, await reserve(orderId, items));
    expect(repeated).toMatchObject({ type: 'StockRejected', payload: rejected.payload as object });
    expect(await productState(http, scarce.id)).toMatchObject({ onHand: 6, reserved: 0 });
    const notReserved = await replyNumber(3, await confirm(orderId));
    expect(notReserved).toMatchObject({ type: 'StockConfirmRejected', payload: { code: 'NOT_RESERVED' } });
    expect((await replyNumber(4, await release(orderId))).type).toBe('StockReleased');
  });

  it('sums items of the same product into one reservation', async () => {
    const product = await createTestProduct(http, { price: 700, quantity: 5 });
    const orderId = randomUUID();
    expect((await replyNumber(1, await reserve(orderId, [item(product.id, 3, 700), item(product.id, 2, 700)]))).type).toBe('StockReserved');
    expect(await productState(http, product.id)).toMatchObject({ onHand: 5, reserved: 5, available: 0 });
    expect(await reservationsOf(product.id)).toEqual([expect.objectContaining({ orderId, quantity: 5 })]);

    const tooMuch = randomUUID();
    const short = await replyNumber(1, await reserve(tooMuch, [item(product.id, 1, 700)]));
    expect(short).toMatchObject({ type: 'StockRejected', payload: { code: 'INSUFFICIENT_STOCK' } });

    const split = await createTestProduct(http, { price: 700, quantity: 4 });
    const overSum = randomUUID();
    const summedShort = await replyNumber(1, await reserve(overSum, [item(split.id, 3, 700), item(split.id, 2, 700)]));
    expect(summedShort).toMatchObject({ type: 'StockRejected', payload: { code: 'INSUFFICIENT_STOCK' } });
    expect(await productState(http, split.id)).toMatchObject({ reserved: 0 });
  });

  it('rejects unknown products and wrong prices, and refuses to confirm an order it never reserved', async () => {
    const product = await createTestProduct(http, { price: 9_000, quantity: 5 });
    const unknown = randomUUID();
    const unknownReply = await replyNumber(1, await reserve(unknown, [item(product.id, 1, 9_000), item(randomUUID(), 1, 9_000)]));
    expect(unknownReply).toMatchObject({ type: 'StockRejected', payload: { code: 'UNKNOWN_PRODUCT' } });

    const mispriced = randomUUID();
    const priceReply = await replyNumber(1, await reserve(mispriced, [item(product.id, 1, 8_999)]));
    expect(priceReply).toMatchObject({ type: 'StockRejected', payload: { code: 'PRICE_MISMATCH' } });

    const differentQuotes = randomUUID();
    const quotesReply = await replyNumber(1, await reserve(differentQuotes, [item(product.id, 1, 9_000), item(product.id, 1, 9_001)]));
    expect(quotesReply).toMatchObject({ type: 'StockRejected', payload: { code: 'PRICE_MISMATCH' } });

    const neverReserved = randomUUID();
    const confirmReply = await replyNumber(1, await confirm(neverReserved));
    expect(confirmReply).toMatchObject({ type: 'StockConfirmRejected', payload: { code: 'NOT_RESERVED' } });
    expect(await productState(http, product.id)).toMatchObject({ onHand: 5, reserved: 0 });
  });
});
