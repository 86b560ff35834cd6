import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * A service's or CLI's logger. JSON lines by default (for machines: log shippers, `jq`);
 * `LOG_FORMAT=pretty` prints coloured one-line records for a person at a terminal. Pretty output is
 * written synchronously on the main thread (no transport worker), so nothing is lost at exit.
 */
export function createLogger(
  service: string,
  level = process.env.LOG_LEVEL ?? 'info',
  format: LogFormat = process.env.LOG_FORMAT === 'pretty' ? 'pretty' : 'json',
): Logger {
  const options = { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') return pino(options);
  return pino(
    options,
    PinoPretty({
      sync: true,
      colorize: Boolean(process.stdout.isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      // the service's name already shows as (name); the rest is noise at a terminal
      ignore: 'pid,hostname,service',
      singleLine: true,
    }),
  );
}
