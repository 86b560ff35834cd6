// A server whose /slow answers after a while, stopped on SIGTERM as the services are (lifecycle.ts):
// prints its port, and "arrived" when a slow request is in its hands.
import { startServer } from '../src/http/serve.ts';
import { createLogger } from '../src/observability/logger.ts';
import { stopOnSignals } from '../src/runtime/lifecycle.ts';

const [slowMs, drainMs] = process.argv.slice(2).map(Number);
const server = await startServer(
  async (request) => {
    if (new URL(request.url).pathname !== '/slow') return new Response('quick');
    process.stdout.write('arrived\n');
    await new Promise((resolve) => setTimeout(resolve, slowMs));
    return new Response('slow answer');
  },
  '127.0.0.1',
  0,
);
stopOnSignals(createLogger('drain-test', 'silent'), [{ name: 'http', run: () => server.close(drainMs) }], drainMs + 5_000);
process.stdout.write(`port ${server.port}\n`);
