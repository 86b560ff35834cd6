import { request, createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A stand-in for HAProxy where it is not installed: round robin over replicas, and the same retry
 * rules as infra/haproxy/haproxy.local.cfg.template — a refused connection goes to the next replica;
 * a request the replica may have received is retried only if it is a read or carries an
 * Idempotency-Key. A replica that refused a connection is skipped for a while.
 */
export async function startRoundRobinProxy(targets: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const downUntil = new Map<string, number>();
  let next = 0;

  const pick = (tried: Set<string>): string | null => {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(next + i) % targets.length];
      if (tried.has(target) || (downUntil.get(target) ?? 0) > Date.now()) continue;
      next = (next + i + 1) % targets.length;
      return target;
    }
    return targets.find((target) => !tried.has(target)) ?? null;
  };

  const forward = (target: string, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; sent: boolean }>((resolve, reject) => {
      let connected = false;
      const upstream = request(`${target}${path}`, { method, headers: { ...headers, connection: 'close' } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks), sent: true }));
        response.on('error', (error) => reject(Object.assign(error, { sent: true })));
      });
      upstream.on('socket', (socket) => socket.on('connect', () => (connected = true)));
      upstream.on('error', (error) => reject(Object.assign(error, { sent: connected })));
      upstream.end(body);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    // a listener's promise is dropped by the emitter: whatever fails in it ends this request, not the process
    req.on('end', () => void relay().catch(() => res.destroy()));
    const relay = async () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const retryable = ['GET', 'HEAD', 'OPTIONS'].includes(method) || req.headers['idempotency-key'] !== undefined;
      const tried = new Set<string>();
      for (let target = pick(tried); target; target = pick(tried)) {
        tried.add(target);
        try {
          const answer = await forward(target, method, req.url ?? '/', req.headers, body);
          const { connection: _connection, 'transfer-encoding': _encoding, ...headers } = answer.headers;
          res.writeHead(answer.status, headers).end(answer.body);
          return;
        } catch (error) {
          const sent = (error as { sent?: boolean }).sent;
          if (!sent) downUntil.set(target, Date.now() + 2_000);
          if (sent && !retryable) break;
        }
      }
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no replica answered');
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
