import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function answers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Integration and e2e tests need MariaDB, Redis and Kafka. If Kafka is not running, start the
 * project's own broker (infra/up.sh) and stop it again afterwards; a broker that was already
 * running (e.g. started by ./scripts/test.sh or a developer) is left alone.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // The broker the tests use (KAFKA_BROKERS, 127.0.0.1:9092 by default), as infra/up.sh starts it.
  const kafkaPort = Number((process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0]!.split(':').at(-1));
  const kafkaWasRunning = await answers(kafkaPort);
  if (!kafkaWasRunning || !(await answers(3306)) || !(await answers(6379))) {
    execFileSync('bash', ['infra/up.sh'], { cwd: root, stdio: 'inherit' });
  }
  return async () => {
    if (!kafkaWasRunning) execFileSync('bash', ['infra/kafka/kafka.sh', 'stop'], { cwd: root, stdio: 'inherit' });
  };
}
