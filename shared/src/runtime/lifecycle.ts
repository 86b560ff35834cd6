import type { Logger } from '../observability/logger.ts';

export interface ShutdownStep {
  name: string;
  run(): Promise<unknown>;
}

/**
 * Stops the process on SIGTERM / SIGINT: steps run in order (stop taking work first, close
 * connections last); a step that hangs cannot keep the process alive past the deadline.
 */
export function stopOnSignals(logger: Logger, steps: ShutdownStep[], deadlineMs = 8_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      logger.flush(() => process.exit(1));
    }, deadlineMs);
    deadline.unref();
    for (const step of steps) {
      try {
        await step.run();
      } catch (error) {
        logger.warn({ step: step.name, err: (error as Error).message }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    logger.flush(() => process.exit(0)); // the buffered lines go out first
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
