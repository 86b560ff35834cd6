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
  options: { buffered?: boolean } = {},
): Logger {
  const settings = { name: service, level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'json') {
    if (!options.buffered) return pino(settings);
    // A service logs a line per request: written one by one, each line is a system call, which
    // costs more than the line. Buffered, lines go out in 4 KB writes, and at least every 250 ms.
    // Flushed only when something was written since (an empty flush is still a system call).
    const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
    const write = destination.write.bind(destination);
    let written = false;
    destination.write = (line: string) => {
      written = true;
      return write(line);
    };
    setInterval(() => {
      if (!written) return;
      written = false;
      destination.flush();
    }, 250).unref();
    return pino(settings, destination);
  }
  return pino(
    settings,
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
