import { serve } from '@hono/node-server';

export interface RunningServer {
  port: number;
  /**
   * Stops taking connections, lets the requests in flight finish (idle keep-alive connections are
   * closed at once, busy ones after their answer), and after `drainMs` closes whatever is left.
   */
  close(drainMs?: number): Promise<void>;
}

interface ClosableServer {
  close(callback: () => void): void;
  closeIdleConnections?(): void;
  closeAllConnections?(): void;
}

export function startServer(fetch: (request: Request) => Response | Promise<Response>, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info) =>
      resolve({
        port: info.port,
        close: (drainMs = 0) =>
          new Promise<void>((done) => {
            const http = server as unknown as ClosableServer;
            const cutOff = setTimeout(() => http.closeAllConnections?.(), drainMs);
            http.close(() => {
              clearTimeout(cutOff);
              done();
            });
            http.closeIdleConnections?.();
          }),
      }),
    );
    server.once('error', reject);
  });
}
