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
  /** Use prepared statements (faster on a direct connection; not through a transaction pooler). */
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
  return wrapPostgres(sql);
}

type PostgresTypes = { bigint: number };
type PostgresSql = postgres.Sql<PostgresTypes>;

function queryable(sql: PostgresSql | postgres.TransactionSql<PostgresTypes>): SqlQueryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return rows as unknown as T[];
    },
    async exec(script: string) {
      await sql.unsafe(script).simple();
    },
  };
}

function wrapPostgres(sql: PostgresSql): SqlClient {
  return {
    ...queryable(sql),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>) {
      return (await sql.begin((tx) => fn(queryable(tx)))) as T;
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
