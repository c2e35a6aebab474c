/**
 * SqlClient over postgres.js: Supabase (SUPABASE_DB_URL) from Edge Functions and any
 * PostgreSQL from Node. `prepare: false` keeps it compatible with Supabase's pooler in
 * transaction mode.
 */
import postgres from 'postgres';
import type { SqlClient, SqlQueryable } from './sql.ts';

export interface PostgresClientOptions {
  /** Connections in the pool (default 5). */
  max?: number;
  /** Named in pg_stat_activity. */
  applicationName?: string;
  /**
   * Named prepared statements: each statement is parsed and planned once per connection
   * instead of on every call (about half the per-statement cost on a direct connection). Off by
   * default: a transaction-mode pooler (Supabase's on port 6543) cannot keep them.
   */
  prepare?: boolean;
}

export function connectPostgres(url: string, options: PostgresClientOptions = {}): SqlClient {
  const sql = postgres(url, {
    max: options.max ?? 5,
    prepare: options.prepare ?? false,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'tradeflow' },
    types: {
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  return wrapPostgres(sql, options.prepare ?? false);
}

type PostgresTypes = { bigint: number };
type PostgresSql = postgres.Sql<PostgresTypes>;

function queryable(
  sql: PostgresSql | postgres.TransactionSql<PostgresTypes>,
  prepare: boolean,
): SqlQueryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      // sql.unsafe does not prepare unless asked per call, whatever the client's own option says.
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
      return rows as unknown as T[];
    },
    async exec(script: string) {
      await sql.unsafe(script).simple();
    },
  };
}

function wrapPostgres(sql: PostgresSql, prepare: boolean): SqlClient {
  return {
    ...queryable(sql, prepare),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>) {
      return (await sql.begin((tx) => fn(queryable(tx, prepare)))) as T;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
