import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

type Values<T extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: T }>>['values'];

/**
 * `parseArgs` for the project's CLIs: a bad flag is one clear line and exit code 2 (never a stack
 * trace), and `--help` prints the usage given.
 */
export function parseCliArgs<const T extends ParseArgsOptionsConfig>(options: T, usage: string): Values<T> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (error) {
    console.error(`${(error as Error).message.split('\n')[0]}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values as Values<T>;
}
