// An oversized body refused on a keep-alive connection, then a second request on it: is that one still answered?
import { createConnection } from 'node:net';

/**
 * Refuses a body too large to read (2 MB, its length announced or chunked) on a raw keep-alive connection,
 * then sends one more request on the same connection 100 ms later, as a pooling client (undici,
 * HAProxy's http-reuse) may: the server must either have said `Connection: close` or answer it.
 */
export function oversizedThenReuse(
  baseUrl: string,
  path: string,
  chunked = false,
): Promise<{ first: string; connectionHeader: string | null; second: string }> {
  const url = new URL(baseUrl);
  const body = Buffer.from(`{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`);
  return new Promise((resolve) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    let received = '';
    let first: string | null = null;
    let connectionHeader: string | null = null;
    let secondSent = false;
    const done = (second: string) => {
      socket.destroy();
      resolve({ first: first ?? 'no answer', connectionHeader, second });
    };
    socket.setTimeout(10_000, () => done(first ? 'no answer to the second request in 10 s' : 'no answer'));
    socket.on('error', (error) => done(secondSent ? `connection error: ${error.message}` : `error before the second request: ${error.message}`));
    socket.on('close', () => done(secondSent ? 'connection closed, second request unanswered' : 'connection closed before the second request'));
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (first === null) {
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = received.slice(0, end);
        first = head.split('\r\n')[0];
        connectionHeader = /\r\nconnection: *([^\r]*)/i.exec(head)?.[1] ?? null;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        received = received.slice(end + 4 + length);
        if (connectionHeader?.toLowerCase() === 'close') return done('not sent: the server said Connection: close');
        setTimeout(() => {
          secondSent = true;
          socket.write(`GET /health HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        }, 100);
        return;
      }
      const line = received.split('\r\n')[0];
      if (line.startsWith('HTTP/1.1')) done(line);
    });
    if (chunked) {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      for (let offset = 0; offset < body.length; offset += 64 * 1024) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        socket.write(`${piece.length.toString(16)}\r\n`);
        socket.write(piece);
        socket.write('\r\n');
      }
      socket.write('0\r\n\r\n');
    } else {
      socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      socket.write(body);
    }
  });
}
