/**
 * SqlClient over embedded PGlite, with the same value conventions as the postgres.js client
 * (numeric → string, bigint → number). PGlite is single-connection: statements and
 * transactions are serialised by PGlite itself.
 */
import { PGlite, types } from '@electric-sql/pglite';
import type { SqlClient, SqlQueryable } from '../../shared/db/sql.ts';

const parsers = {
  [types.INT8]: (value: string) => Number(value),
  [types.NUMERIC]: (value: string) => value,
};

/** Opens (or creates) an embedded database; `dataDir` undefined keeps it in memory. */
export async function openPglite(dataDir?: string): Promise<{ db: SqlClient; pglite: PGlite }> {
  const pglite = await PGlite.create(dataDir ? `file://${dataDir}` : undefined, { parsers });
  return { db: wrapPglite(pglite), pglite };
}

interface PgliteQueryable {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(script: string): Promise<unknown>;
}

function queryable(pg: PgliteQueryable): SqlQueryable {
  return {
    async query<T>(text: string, params: readonly unknown[] = []) {
      return (await pg.query<T>(text, [...params])).rows;
    },
    async exec(script: string) {
      await pg.exec(script);
    },
  };
}

export function wrapPglite(pglite: PGlite): SqlClient {
  return {
    ...queryable(pglite),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>) {
      return pglite.transaction((tx) => fn(queryable(tx)));
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
