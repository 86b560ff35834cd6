/**
 * Fills the `?` placeholders of the hot path's statements with escaped literals, so each round trip
 * is one text query (several statements joined). mysql2 does the same through sql-escaper, but it
 * escapes every `"` too, so each JSON document the platform writes (saga snapshots, events, message
 * bodies) took its slow character-by-character path: about 8 % of the order service's CPU under
 * load. Inside a single-quoted literal only `'` and `\` need escaping (NUL, CR, LF and Ctrl-Z are
 * escaped as mysql2 does, so logs and tools show them safely); JSON documents rarely hold any, so
 * most strings cost one native regex test and a concatenation.
 *
 * Values: null and undefined → NULL, finite numbers, bigints, booleans, Dates (UTC with
 * milliseconds: every session runs in UTC), strings, Buffers (X'…'). Anything else — an object, an
 * array, NaN, an invalid Date — is a programming error and throws rather than writing something
 * unexpected. Question marks inside quoted text are not placeholders; the number of placeholders must
 * match the number of values. Assumes the server's default sql_mode (backslash escapes on), as mysql2 does.
 */
export function formatSql(sql: string, values: readonly unknown[]): string {
  const positions = placeholdersOf(sql);
  if (positions.length !== values.length) {
    throw new Error(`SQL has ${positions.length} placeholders for ${values.length} values: ${sql.slice(0, 200)}`);
  }
  if (positions.length === 0) return sql;
  let out = '';
  let from = 0;
  for (let index = 0; index < positions.length; index++) {
    out += sql.slice(from, positions[index]) + sqlLiteral(values[index]);
    from = positions[index] + 1;
  }
  return out + sql.slice(from);
}

/**
 * Where the placeholders of a statement are. The hot path sends the same few texts over and over
 * (a multi-row insert's text depends only on its row count), so each is scanned once; the cache is
 * dropped whole if some caller builds unbounded variety.
 */
function placeholdersOf(sql: string): number[] {
  let positions = scanned.get(sql);
  if (positions === undefined) {
    positions = scan(sql);
    if (scanned.size >= MAX_SCANNED) scanned.clear();
    scanned.set(sql, positions);
  }
  return positions;
}

const scanned = new Map<string, number[]>();
const MAX_SCANNED = 2_000;

function scan(sql: string): number[] {
  const positions: number[] = [];
  for (let index = 0; index < sql.length; index++) {
    const code = sql.charCodeAt(index);
    if (code === QUESTION_MARK) positions.push(index);
    else if (code === SINGLE_QUOTE || code === DOUBLE_QUOTE || code === BACKTICK) index = endOfQuoted(sql, index, code);
  }
  return positions;
}

/** One value as an SQL literal. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  switch (typeof value) {
    case 'string':
      return sqlString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as an SQL number`);
      return String(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      break;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError('cannot write an invalid Date as an SQL datetime');
    return `'${value.toISOString().slice(0, 23).replace('T', ' ')}'`;
  }
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  throw new TypeError(`cannot write ${Object.prototype.toString.call(value)} as an SQL value (serialise it first)`);
}

/** A string as a single-quoted SQL literal. */
export function sqlString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `'${value.replace(ESCAPED, (char) => ESCAPES[char]!)}'` : `'${value}'`;
}

const QUESTION_MARK = 63;
const SINGLE_QUOTE = 39;
const DOUBLE_QUOTE = 34;
const BACKTICK = 96;
const BACKSLASH = 92;
// NUL and Ctrl-Z are exactly what these look for.
// oxlint-disable-next-line eslint/no-control-regex
const NEEDS_ESCAPE = /[\0\n\r\x1a'\\]/;
// oxlint-disable-next-line eslint/no-control-regex
const ESCAPED = /[\0\n\r\x1a'\\]/g;
const ESCAPES: Record<string, string> = { '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z', "'": "\\'", '\\': '\\\\' };

/** The index of the quote that closes the one at `start` (a doubled quote, or a backslash escape in a string, stays inside). */
function endOfQuoted(sql: string, start: number, quote: number): number {
  for (let index = start + 1; index < sql.length; index++) {
    const code = sql.charCodeAt(index);
    if (code === BACKSLASH && quote !== BACKTICK) index++;
    else if (code === quote) {
      if (sql.charCodeAt(index + 1) !== quote) return index;
      index++;
    }
  }
  return sql.length;
}
