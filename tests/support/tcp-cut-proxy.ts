import { connect, createServer, type Server, type Socket } from 'node:net';

/** What the proxy has seen since it started (connections from its clients). */
export interface TcpCutProxyStats {
  /** Connections forwarded to the target. */
  forwarded: number;
  /** Connections open right now (forwarded, not yet closed). */
  open: number;
  /** Connections refused while cut (reset as soon as they were accepted). */
  refused: number;
  /** Connections accepted while cut and held without an answer (blackholed). */
  blackholed: number;
  /** Open connections destroyed by cuts. */
  severed: number;
  /** When the last connection was forwarded (ms since the epoch), or null. */
  lastForwardedAt: number | null;
}

/**
 * A TCP proxy that can be cut: between one client and its server (the chaos tests put one service's
 * broker connections through it). `cut()` destroys every open connection and then refuses (resets)
 * or blackholes (accepts, never answers) new ones until `heal()`.
 */
export interface TcpCutProxy {
  port: number;
  cut(mode?: 'refuse' | 'blackhole'): void;
  heal(): void;
  isCut(): boolean;
  stats(): TcpCutProxyStats;
  close(): Promise<void>;
}

export async function startTcpCutProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpCutProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const held = new Set<Socket>();
  let cutMode: 'refuse' | 'blackhole' | null = null;
  const stats: TcpCutProxyStats = { forwarded: 0, open: 0, refused: 0, blackholed: 0, severed: 0, lastForwardedAt: null };

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (cutMode === 'refuse') {
      stats.refused++;
      client.resetAndDestroy();
      return;
    }
    if (cutMode === 'blackhole') {
      stats.blackholed++;
      client.pause();
      held.add(client);
      client.once('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    stats.forwarded++;
    stats.lastForwardedAt = Date.now();
    const close = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', close);
    client.on('error', close);
    upstream.on('close', close);
    client.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    port,
    cut(mode = 'refuse') {
      cutMode = mode;
      for (const pair of pairs) {
        stats.severed++;
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      }
      pairs.clear();
    },
    heal() {
      cutMode = null;
      for (const socket of held) socket.destroy();
      held.clear();
    },
    isCut: () => cutMode !== null,
    stats: () => ({ ...stats, open: pairs.size }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.upstream.destroy();
        }
        for (const socket of held) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
