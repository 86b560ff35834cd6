import { createPool, type Pool, type PoolConnection } from 'mysql2/promise';
import type { BaseEnv } from '../config/env.ts';
import { formatSql } from './sql-format.ts';

/**
 * The hot path's own connection pool: plain mysql2, several statements per round trip.
 *
 * The platform pays per round trip (on loopback each one costs both processes a wake-up and a
 * socket write), so the message handlers send a transaction as two round trips: its reads together
 * with `START TRANSACTION`, and its writes together with `COMMIT`. MikroORM (which the HTTP side
 * keeps using) sends every statement, BEGIN and COMMIT on its own, so this pool sits beside it on
 * the same database. Every connection works in UTC and READ COMMITTED: datetimes written by the
 * application compare with the server's clock whatever the server's time zone, and locking reads
 * of missing keys take no gap locks (batches of neighbouring orders never wait for each other).
 */
export interface SqlPool {
  /** One statement outside any transaction (autocommit). */
  query<T = unknown>(sql: string, params?: readonly unknown[]): Promise<T>;
  /** A connection of its own (the relay's): never taken from the handlers' share of the pool. */
  dedicated(): Promise<SqlConnection>;
  acquire(): Promise<SqlConnection>;
  close(): Promise<void>;
}

export interface Statement {
  sql: string;
  params?: readonly unknown[];
}

export interface SqlConnection {
  /** Sends the statements in one round trip; one result per statement (rows, or a result header). */
  run(statements: readonly Statement[]): Promise<unknown[]>;
  /** Back to the pool; a connection that failed mid-transaction is destroyed instead. */
  release(broken?: boolean): void;
}

export interface SqlPoolOptions {
  env: Pick<BaseEnv, 'DB_HOST' | 'DB_PORT' | 'DB_USER' | 'DB_PASSWORD'> & { DB_SOCKET?: string };
  dbName: string;
  connectionLimit: number;
}

/** Joins statements into one multi-statement text, each with its placeholders filled (sql-format.ts). */
function joined(statements: readonly Statement[]): string {
  let sql = '';
  for (const statement of statements) {
    if (sql) sql += ';\n';
    sql += statement.params && statement.params.length > 0 ? formatSql(statement.sql, statement.params) : statement.sql;
  }
  return sql;
}

function wrap(connection: PoolConnection): SqlConnection {
  return {
    async run(statements) {
      if (statements.length === 0) return [];
      const [results] = await connection.query(joined(statements));
      return statements.length === 1 ? [results] : (results as unknown[]);
    },
    release(broken = false) {
      if (broken) connection.destroy();
      else connection.release();
    },
  };
}

const sessionSetup = "set time_zone = '+00:00'; set session transaction isolation level read committed";

export function openSqlPool(options: SqlPoolOptions): SqlPool {
  // A Unix socket (same machine) costs each round trip less than TCP over loopback.
  const address = options.env.DB_SOCKET ? { socketPath: options.env.DB_SOCKET } : { host: options.env.DB_HOST, port: options.env.DB_PORT };
  const settings = {
    ...address,
    user: options.env.DB_USER,
    password: options.env.DB_PASSWORD,
    database: options.dbName,
    multipleStatements: true,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    jsonStrings: true,
    charset: 'utf8mb4',
    // No stack trace captured for every query (mysql2's default, to decorate errors): on the hot
    // path it costs more than building the query.
    trace: false,
    // Statements arrive formatted (sql-format.ts); without this mysql2 scans every text it is given
    // for placeholders once more, character by character, JSON documents included.
    queryFormat: (sql: string, values: unknown) => (Array.isArray(values) && values.length > 0 ? formatSql(sql, values) : sql),
  } as const;
  const pool: Pool = createPool({ ...settings, connectionLimit: options.connectionLimit, maxIdle: options.connectionLimit, enableKeepAlive: true });
  pool.pool.on('connection', (connection) => {
    connection.query(sessionSetup);
  });

  return {
    async query<T>(sql: string, params: readonly unknown[] = []) {
      const [rows] = await pool.query(params.length > 0 ? formatSql(sql, params) : sql);
      return rows as T;
    },
    async acquire() {
      return wrap(await pool.getConnection());
    },
    async dedicated() {
      const { createConnection } = await import('mysql2/promise');
      const connection = await createConnection(settings);
      await connection.query(sessionSetup);
      return {
        async run(statements) {
          if (statements.length === 0) return [];
          const [results] = await connection.query(joined(statements));
          return statements.length === 1 ? [results] : (results as unknown[]);
        },
        release() {
          connection.destroy();
        },
      };
    },
    async close() {
      await pool.end();
    },
  };
}

const connectionLostCodes = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_CLOSED',
  'ER_CMD_CONNECTION_CLOSED',
  'ER_SOCKET_UNEXPECTED_CLOSE',
]);

/** A connection error leaves the connection unusable; anything else (a deadlock, a constraint) does not. */
export function isConnectionBroken(error: unknown): boolean {
  const candidate = error as { code?: unknown; fatal?: unknown } | null;
  return candidate?.fatal === true || (typeof candidate?.code === 'string' && connectionLostCodes.has(candidate.code));
}
