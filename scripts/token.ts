// Prints an access token of the order service, for curl, scripts and the load test.
//
//   npm run token -- --customer <customerId>     a customer token (the customer must exist)
//   npm run token -- --admin [--operator ops-1]  an admin token whose subject is the operator's name
//                                                (default $OPERATOR_NAME, else admin; recorded with their actions)
//   npm run token -- --rotate [--revoke-previous]   rotate the signing key (admin), print the key list
//   options: --url <order service> (default $ORDER_SERVICE_URL or http://127.0.0.1:$ORDER_PORT|8181), --json
//
// Passwords come from $DEMO_CUSTOMER_PASSWORD and $ADMIN_PASSWORD (defaults: the README's demo
// passwords). Example:  curl -H "Authorization: Bearer $(npm run -s token -- --admin)" …
import { parseArgs } from 'node:util';
import { tokenClient } from './lib/token-client.ts';

const usage = `usage: npm run token -- (--customer <id> | --admin [--operator <name>] | --rotate [--revoke-previous]) [--url <order service>] [--json]`;

const { values } = parseArgs({
  options: {
    customer: { type: 'string' },
    admin: { type: 'boolean', default: false },
    operator: { type: 'string' },
    rotate: { type: 'boolean', default: false },
    'revoke-previous': { type: 'boolean', default: false },
    url: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const orderUrl = (values.url ?? process.env.ORDER_SERVICE_URL ?? `http://127.0.0.1:${process.env.ORDER_PORT ?? 8181}`).replace(/\/$/, '');
const chosen = [values.customer !== undefined, values.admin, values.rotate].filter(Boolean).length;
if (values.help || chosen !== 1) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}

const tokens = tokenClient({ orderUrl, operator: values.operator });
try {
  if (values.rotate) {
    const response = await fetch(`${orderUrl}/api/v1/auth/keys/rotation`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await tokens.adminHeaders()) },
      body: JSON.stringify({ revokePrevious: values['revoke-previous'] }),
    });
    const body = (await response.json()) as { kid?: string; keys?: { kid: string; active: boolean; expiresAt: string | null }[]; detail?: string };
    if (!response.ok) throw new Error(`rotation refused: ${response.status} ${body.detail ?? ''}`);
    if (values.json) console.log(JSON.stringify(body, null, 2));
    else {
      console.log(`signing key now ${body.kid}`);
      for (const key of body.keys ?? []) console.log(`  ${key.kid} ${key.active ? 'active' : `verifies until ${key.expiresAt}`}`);
    }
  } else {
    const issued = values.admin ? await tokens.issueAdmin() : await tokens.issueCustomer(values.customer!);
    console.log(values.json ? JSON.stringify(issued, null, 2) : issued.accessToken);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
