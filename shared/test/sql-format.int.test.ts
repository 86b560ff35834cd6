import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testEnv } from '../../tests/support/test-infra.ts';
import { openSqlPool, type SqlPool } from '../src/db/sql-pool.ts';
import { rowsOf } from '../src/db/sql-transaction.ts';

const dbName = 'sql_format_test';
let pool: SqlPool;

// Written through the hot path's formatter and read back: what MariaDB stored is what was given.
const tricky = [
  '',
  "O'Brien",
  "''",
  "\\'; drop table t; --",
  'back\\slash',
  'trailing backslash\\',
  'nul\0byte',
  'line\nbreak\r\nand\ttab',
  'ctrl-z\x1aend',
  '"double" "quotes"',
  '?',
  "' ? '",
  'emoji 🧾 ünïcödé 漢字',
  JSON.stringify({ note: 'a "quoted" \\ path\nnext', price: 5000, items: [{ name: "it's" }] }),
];

describe('the hot path writes values exactly (real MariaDB)', () => {
  beforeAll(async () => {
    await freshDatabase(dbName);
    pool = openSqlPool({ env: testEnv, dbName, connectionLimit: 2 });
    await pool.query(
      'create table value_check (id int primary key, text_value longtext, json_value longtext check (json_valid(json_value)), at datetime(3), amount bigint, flag boolean, raw varbinary(16))',
    );
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('stores every tricky string as given, in one multi-statement round trip', async () => {
    const connection = await pool.acquire();
    try {
      await connection.run(tricky.map((text, id) => ({ sql: 'insert into value_check (id, text_value) values (?, ?)', params: [id, text] })));
    } finally {
      connection.release();
    }
    const rows = rowsOf<{ id: number; text_value: string }>(await pool.query('select id, text_value from value_check order by id'));
    expect(rows.map((row) => row.text_value)).toEqual(tricky);
  });

  it('stores JSON, datetimes, big integers, booleans, NULL and bytes as given', async () => {
    const at = new Date('2026-12-03T13:40:05.007Z');
    const json = JSON.stringify({ a: 'x"y', b: "it's", c: '\\' });
    await pool.query('insert into value_check (id, json_value, at, amount, flag, raw, text_value) values (?, ?, ?, ?, ?, ?, ?)', [
      100,
      json,
      at,
      9007199254740993n,
      true,
      Buffer.from([0, 39, 92, 255]),
      null,
    ]);
    const [row] = rowsOf<{ json_value: string; at: string; amount: string; flag: number; raw: Buffer; text_value: null }>(
      await pool.query('select json_value, at, cast(amount as char) as amount, flag, raw, text_value from value_check where id = ?', [100]),
    );
    expect(JSON.parse(row.json_value)).toEqual(JSON.parse(json));
    expect(row.at).toBe('2026-12-03 13:40:05.007');
    expect(row.amount).toBe('9007199254740993');
    expect(row.flag).toBe(1);
    expect([...row.raw]).toEqual([0, 39, 92, 255]);
    expect(row.text_value).toBeNull();
  });
});
