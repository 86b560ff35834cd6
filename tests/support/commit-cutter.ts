import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of MariaDB that loses a connection exactly during COMMIT, the failure a
 * service cannot tell apart from "not committed": it reads the MySQL protocol's command packets
 * from the client, and once armed, the first COMMIT of a transaction that sent a statement
 * matching `trigger` is cut —
 * - `'after-commit'`: the packet reaches the server (which commits), the client never hears back;
 * - `'before-commit'`: the packet is dropped and both sides closed (the server rolls back).
 * With `outageMs`, every connection through the proxy is closed as well and new ones are refused
 * for that long, so the service cannot look the outcome up either.
 */
export interface CommitCutter {
  port: number;
  arm(mode: 'after-commit' | 'before-commit', options?: { outageMs?: number }): void;
  /** COMMITs cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

const comQuery = 0x03;
const comStmtPrepare = 0x16;
const endsWithCommit = /\bcommit\s*;?\s*$/i;
const endsTransaction = /\b(commit|rollback)\s*;?\s*$/i;

export async function startCommitCutter(target: { host: string; port: number }, trigger: RegExp): Promise<CommitCutter> {
  let armed: { mode: 'after-commit' | 'before-commit'; outageMs: number } | null = null;
  let refuseUntil = 0;
  let cuts = 0;
  const pairs = new Set<{ client: Socket; server: Socket }>();

  const cutEverything = (outageMs: number) => {
    refuseUntil = Date.now() + outageMs;
    for (const pair of pairs) pair.client.destroy();
  };

  const proxy: Server = createServer((client) => {
    if (Date.now() < refuseUntil) return void client.destroy();
    const server = connect(target.port, target.host);
    const pair = { client, server };
    pairs.add(pair);
    // A COMMIT cut after it was sent keeps the server's side open until the server has answered.
    let keepServer = false;
    const forget = () => {
      pairs.delete(pair);
      client.destroy();
      if (!keepServer) server.destroy();
    };
    client.on('error', forget).on('close', forget);
    server.on('error', () => server.destroy()).on('close', forget);
    server.on('data', (chunk) => {
      if (!client.destroyed) client.write(chunk);
    });

    let pending = Buffer.alloc(0);
    let wroteTrigger = false;
    client.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // Whole packets only: 3 bytes length, 1 byte sequence, then the payload.
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) return;
        const packet = pending.subarray(0, 4 + length);
        pending = pending.subarray(4 + length);
        const sequence = packet[3];
        const command = packet[4];
        const text = sequence === 0 && (command === comQuery || command === comStmtPrepare) ? packet.subarray(5).toString('utf8') : '';
        if (trigger.test(text)) wroteTrigger = true;
        if (armed && wroteTrigger && endsWithCommit.test(text)) {
          const { mode, outageMs } = armed;
          armed = null;
          cuts++;
          if (mode === 'after-commit') {
            keepServer = true;
            client.destroy();
            server.write(packet);
            // The server commits and answers into the void; its side closes a while after.
            server.once('data', () => setTimeout(() => server.destroy(), 500));
          } else {
            client.destroy();
            server.destroy();
          }
          if (outageMs > 0) cutEverything(outageMs);
          return;
        }
        if (endsTransaction.test(text)) wroteTrigger = false;
        server.write(packet);
      }
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));

  return {
    port: (proxy.address() as { port: number }).port,
    arm(mode, options = {}) {
      armed = { mode, outageMs: options.outageMs ?? 0 };
    },
    cuts: () => cuts,
    async close() {
      cutEverything(0);
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
