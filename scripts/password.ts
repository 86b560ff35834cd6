// Sets or resets a customer's password on the order service (as an operator: ADMIN_PASSWORD).
//
//   npm run password -- --customer <customerId>            reads the new password from stdin (one line)
//   npm run password -- --customer <customerId> --generate  makes a random one and prints it
//   options: --url <order service> (default $ORDER_SERVICE_URL or http://127.0.0.1:$ORDER_PORT|8181), --operator <name>
//
// The password is stored as an scrypt hash (customer_credential); a lockout of the account is lifted.
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { parseCliArgs } from './lib/cli-args.ts';
import { tokenClient } from './lib/token-client.ts';

const usage = 'usage: npm run password -- --customer <customerId> [--generate] [--operator <name>] [--url <order service>]';
const values = parseCliArgs(
  {
    customer: { type: 'string' },
    generate: { type: 'boolean', default: false },
    operator: { type: 'string' },
    url: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  usage,
);
if (!values.customer) {
  console.error(usage);
  process.exit(2);
}

const orderUrl = (values.url ?? process.env.ORDER_SERVICE_URL ?? `http://127.0.0.1:${process.env.ORDER_PORT ?? 8181}`).replace(/\/$/, '');
const password = values.generate ? randomBytes(18).toString('base64url') : (await text(process.stdin)).split('\n')[0]!.trim();
if (password.length < 12) {
  console.error('the password needs at least 12 characters');
  process.exit(2);
}
try {
  const tokens = tokenClient({ orderUrl, operator: values.operator });
  const response = await fetch(`${orderUrl}/api/v1/customers/${encodeURIComponent(values.customer)}/password`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(await tokens.adminHeaders()) },
    body: JSON.stringify({ password }),
  });
  if (response.status !== 204) {
    const body = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new Error(`refused: ${response.status} ${body.detail ?? ''}`);
  }
  console.log(values.generate ? password : `password of ${values.customer} set`);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
