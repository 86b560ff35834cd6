import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

type Values<T extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: T }>>['values'];

/**
 * `parseArgs` for the project's CLIs: a bad flag is one clear line and exit code 2 (never a stack
 * trace), and `--help` prints the usage given.
 */
export function parseCliArgs<const T extends ParseArgsOptionsConfig>(options: T, usage: string): Values<T> {
  return parseCliCommand(options, usage, { maxPositionals: 0 }).values;
}

/** The same for CLIs with a command and arguments (`npm run saga -- replay <orderId>`): the positionals too. */
export function parseCliCommand<const T extends ParseArgsOptionsConfig>(
  options: T,
  usage: string,
  limits: { maxPositionals: number } = { maxPositionals: Infinity },
): { values: Values<T>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: limits.maxPositionals > 0 });
    if (parsed.positionals.length > limits.maxPositionals) throw new Error(`Unexpected argument '${parsed.positionals[limits.maxPositionals]}'`);
  } catch (error) {
    usageError((error as Error).message.split('\n')[0].split('. To specify')[0], usage);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return { values: parsed.values as Values<T>, positionals: parsed.positionals };
}

/** A CLI's wrong use, found after parsing (a missing argument, two options that exclude each other): one line, the usage, exit 2. */
export function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
