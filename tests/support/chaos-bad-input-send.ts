// Sends a bad-input probe and judges the answer: the services must refuse it with a 4xx application/problem+json.
import { createConnection } from 'node:net';
import type { Probe } from './chaos-bad-input-probes.ts';

export interface ProbeResult {
  probe: Probe;
  status: number;
  contentType: string;
  problem: string | null;
  ms: number;
}

/**
 * A request on a raw connection of its own (we close it afterwards) whose response is read even if the
 * server answers — and stops reading, and closes — before the body is sent: fetch and node:http
 * report a write error then instead of the response the server did send.
 */
function sendOnOwnConnection(probe: Probe, timeoutMs: number): Promise<{ status: number; contentType: string; text: string }> {
  const url = new URL(probe.url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (error: Error | null, result?: { status: number; contentType: string; text: string }) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(result!);
    };
    const tryParse = (final: boolean) => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return final ? finish(new Error('connection closed without an answer')) : undefined;
      const head = received.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? -1);
      const body = received.subarray(end + 4);
      if (length >= 0 ? body.length < length : !final) return final ? finish(new Error('connection closed mid-answer')) : undefined;
      finish(null, {
        status: Number(head.split(' ')[1]),
        contentType: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? '',
        text: body.subarray(0, length >= 0 ? length : body.length).toString('utf8'),
      });
    };
    socket.setTimeout(timeoutMs, () => finish(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { name: 'TimeoutError' })));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', () => {}); // EPIPE / ECONNRESET while sending: the answer may be there already
    // No `Connection: close` from us: a server that answers early then closes at once resets the
    // connection while our body is still arriving, and the reset takes its answer with it.
    const headers = Object.entries({ ...probe.headers, host: url.host })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // Written in small pieces, and no further once the server has begun to answer: a server may
    // answer early and close, and a write error would make Node drop the answer already received.
    const answering = () => received.length > 0 || socket.destroyed;
    const write = (data: string | Uint8Array) => new Promise<void>((done) => (answering() ? done() : socket.write(data, () => done())));
    const writeInPieces = async (data: Uint8Array) => {
      for (let offset = 0; offset < data.length && !answering(); offset += 16 * 1024) await write(data.subarray(offset, offset + 16 * 1024));
    };
    void (async () => {
      const body = typeof probe.body === 'function' ? probe.body() : probe.body;
      if (body instanceof ReadableStream) {
        await write(`${probe.method} ${url.pathname}${url.search} HTTP/1.1\r\n${headers}transfer-encoding: chunked\r\n\r\n`);
        for await (const chunk of body) {
          if (answering()) return;
          await write(`${chunk.length.toString(16)}\r\n`);
          await writeInPieces(chunk);
          await write('\r\n');
        }
        await write('0\r\n\r\n');
      } else {
        const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
        await write(`${probe.method} ${url.pathname}${url.search} HTTP/1.1\r\n${headers}content-length: ${bytes.length}\r\n\r\n`);
        await writeInPieces(bytes);
      }
    })();
  });
}

export async function send(probe: Probe, timeoutMs = 15_000): Promise<ProbeResult> {
  const started = performance.now();
  try {
    let status: number;
    let contentType: string;
    let text: string;
    if (probe.ownConnection) {
      ({ status, contentType, text } = await sendOnOwnConnection(probe, timeoutMs));
    } else {
      const body = typeof probe.body === 'function' ? probe.body() : probe.body;
      const init: RequestInit & { duplex?: 'half' } = {
        method: probe.method,
        headers: probe.headers,
        body: body as BodyInit | undefined,
        signal: AbortSignal.timeout(timeoutMs),
      };
      if (body instanceof ReadableStream) init.duplex = 'half';
      const response = await fetch(probe.url, init);
      text = await response.text();
      status = response.status;
      contentType = response.headers.get('content-type') ?? '';
    }
    let problem: string | null = null;
    try {
      const parsed = JSON.parse(text) as { status?: unknown; title?: unknown; detail?: unknown };
      if (parsed.status !== status || typeof parsed.title !== 'string') problem = `body is not a problem for ${status}: ${text.slice(0, 200)}`;
    } catch {
      problem = `body is not JSON: ${text.slice(0, 200)}`;
    }
    return { probe, status, contentType, problem, ms: performance.now() - started };
  } catch (error) {
    const reason =
      (error as Error).name === 'TimeoutError'
        ? `no answer in ${timeoutMs} ms`
        : `request failed: ${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`;
    return { probe, status: 0, contentType: '', problem: reason, ms: performance.now() - started };
  }
}

/** Why a result breaks the rule (4xx application/problem+json), or null. */
export function verdict(result: ProbeResult): string | null {
  if (result.status === 0) return result.problem;
  if (result.status < 400 || result.status >= 500) return `status ${result.status}`;
  if (!result.contentType.startsWith('application/problem+json')) return `content-type ${result.contentType}`;
  return result.problem;
}
