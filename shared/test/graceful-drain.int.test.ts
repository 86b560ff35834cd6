import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

let child: ChildProcess | null = null;

afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

/** Starts the child server; resolves with its port and a way to wait for a line on its stdout. */
async function startChild(slowMs: number, drainMs: number) {
  const started = spawn(process.execPath, [fileURLToPath(new URL('./graceful-drain.child.ts', import.meta.url)), String(slowMs), String(drainMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = started;
  let output = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  started.stdout.on('data', (chunk) => {
    output += String(chunk);
    for (const waiter of waiters.filter((entry) => output.includes(entry.text))) waiter.resolve();
  });
  const line = (text: string) =>
    new Promise<void>((resolve) => {
      if (output.includes(text)) resolve();
      else waiters.push({ text, resolve });
    });
  await line('port ');
  const port = Number(/port (\d+)/.exec(output)![1]);
  const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
  return { port, line, exited, process: started };
}

describe('graceful drain on SIGTERM (a real HTTP server in a child process)', () => {
  it('answers a slow request that arrived before SIGTERM, takes no new connection meanwhile, then exits 0', async () => {
    const server = await startChild(1_500, 10_000);
    const slow = fetch(`http://127.0.0.1:${server.port}/slow`).then(async (response) => ({ status: response.status, body: await response.text() }));
    await server.line('arrived');
    server.process.kill('SIGTERM');
    // A new connection while draining is refused (the listening socket is closed).
    await expect
      .poll(() =>
        fetch(`http://127.0.0.1:${server.port}/quick`).then(
          () => 'answered',
          () => 'refused',
        ),
      )
      .toBe('refused');

    expect(await slow).toEqual({ status: 200, body: 'slow answer' });
    expect(await server.exited).toBe(0);
  });

  it('closes a request that outlasts the drain, and still exits 0', async () => {
    const server = await startChild(60_000, 300);
    const slow = fetch(`http://127.0.0.1:${server.port}/slow`).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await server.line('arrived');
    server.process.kill('SIGTERM');
    expect(await slow).toBe('connection closed');
    expect(await server.exited).toBe(0);
  });
});
