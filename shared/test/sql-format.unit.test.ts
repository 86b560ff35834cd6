import { describe, expect, it } from 'vitest';
import { formatSql, sqlLiteral, sqlString } from '../src/db/sql-format.ts';

describe('formatSql: placeholders filled with escaped literals', () => {
  it('fills each placeholder in order', () => {
    expect(formatSql('select ?, ?, ?', [1, 'a', null])).toBe("select 1, 'a', NULL");
    expect(formatSql('insert into t values (?, ?), (?, ?)', [1, 2, 3, 4])).toBe('insert into t values (1, 2), (3, 4)');
  });

  it('leaves question marks inside quoted text alone', () => {
    expect(formatSql("select '?', \"?\", `a?b`, ? from t where x = 'it''s ?' and y = 'a\\'?'", [7])).toBe(
      "select '?', \"?\", `a?b`, 7 from t where x = 'it''s ?' and y = 'a\\'?'",
    );
  });

  it('refuses a count of values that does not match the placeholders', () => {
    expect(() => formatSql('select ?, ?', [1])).toThrow(/2 placeholders for 1 values/);
    expect(() => formatSql('select ?', [1, 2])).toThrow(/1 placeholders for 2 values/);
  });

  it('gives the same text for the same statement every time (the scan is cached)', () => {
    const sql = 'update t set a = ? where id = ?';
    expect(formatSql(sql, ['x', 1])).toBe("update t set a = 'x' where id = 1");
    expect(formatSql(sql, ['y', 2])).toBe("update t set a = 'y' where id = 2");
  });
});

describe('sqlLiteral', () => {
  it('writes numbers, bigints, booleans and NULL as mysql2 does', () => {
    expect(sqlLiteral(42)).toBe('42');
    expect(sqlLiteral(-1.5)).toBe('-1.5');
    expect(sqlLiteral(12345678901234567890n)).toBe('12345678901234567890');
    expect(sqlLiteral(true)).toBe('true');
    expect(sqlLiteral(false)).toBe('false');
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(undefined)).toBe('NULL');
  });

  it('writes a Date in UTC with milliseconds (the sessions run in UTC)', () => {
    expect(sqlLiteral(new Date('2026-12-03T13:40:05.007Z'))).toBe("'2026-12-03 13:40:05.007'");
  });

  it('writes a Buffer as a hex literal', () => {
    expect(sqlLiteral(Buffer.from([0, 255, 16]))).toBe("X'00ff10'");
  });

  it('refuses what would be written as something unexpected', () => {
    expect(() => sqlLiteral(Number.NaN)).toThrow(/NaN/);
    expect(() => sqlLiteral(Number.POSITIVE_INFINITY)).toThrow(/Infinity/);
    expect(() => sqlLiteral(new Date('not a date'))).toThrow(/invalid Date/);
    expect(() => sqlLiteral({ a: 1 })).toThrow(/\[object Object\].*serialise it first/);
    expect(() => sqlLiteral([1, 2])).toThrow(/\[object Array\]/);
  });
});

describe('sqlString', () => {
  it('leaves a JSON document as it is, double quotes included', () => {
    expect(sqlString('{"a":"b","n":[1,2]}')).toBe('\'{"a":"b","n":[1,2]}\'');
  });

  it('escapes quotes, backslashes and the control characters mysql2 escapes', () => {
    expect(sqlString("O'Brien")).toBe("'O\\'Brien'");
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
    expect(sqlString('a\0b\nc\rd\x1ae')).toBe("'a\\0b\\nc\\rd\\Ze'");
    expect(sqlString('{"say":"\\"hi\\""}')).toBe('\'{"say":"\\\\"hi\\\\""}\'');
  });
});
