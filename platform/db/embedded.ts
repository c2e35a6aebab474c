/**
 * The embedded default database: PGlite persisted in a data directory, with the Supabase
 * platform pieces, every migration and the seed applied, reachable over the PostgreSQL wire
 * protocol so that the Deno functions connect to it exactly as to Supabase (SUPABASE_DB_URL).
 *
 * PGlite serves one wire connection at a time (clients use a pool of size 1); in-process
 * callers share the same instance.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { repoPath } from '../paths.ts';
import { type MigrateResult, migrate } from './migrate.ts';
import { openPglite } from './pglite-client.ts';

export const DEFAULT_DATA_DIR = repoPath('.tradeflow', 'pgdata');

export interface PlatformDatabase {
  kind: 'pglite' | 'postgres';
  db: SqlClient;
  /** Where other processes (Deno functions) connect. */
  url: string | null;
  migration: MigrateResult;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Any PostgreSQL instead of the embedded database (DATABASE_URL). */
  databaseUrl?: string;
  dataDir?: string;
  /** Deletes the embedded data directory first. */
  reset?: boolean;
  /** Port for the embedded database's wire endpoint; 0 picks a free one, null serves none. */
  wirePort?: number | null;
}

export async function openPlatformDatabase(options: OpenDatabaseOptions = {}): Promise<PlatformDatabase> {
  if (options.databaseUrl) {
    const db = connectPostgres(options.databaseUrl, { max: 5, applicationName: 'tradeflow-platform' });
    const migration = await migrate(db);
    await applySeed(db);
    return { kind: 'postgres', db, url: options.databaseUrl, migration, close: () => db.close() };
  }

  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.reset && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const { db, pglite } = await openPglite(dataDir);
  const migration = await migrate(db);
  await applySeed(db);

  const server = options.wirePort === null ? null : await serveOverWire(pglite, options.wirePort ?? 0);
  return {
    kind: 'pglite',
    db,
    url: server?.url ?? null,
    migration,
    async close() {
      await server?.stop();
      await db.close();
    },
  };
}

async function applySeed(db: SqlClient): Promise<void> {
  await db.exec(readFileSync(repoPath('supabase', 'seed.sql'), 'utf8'));
}

export async function serveOverWire(
  pglite: PGlite,
  port: number,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port, maxConnections: 1 });
  await server.start();
  const address = server.getServerConn(); // "127.0.0.1:<port>"
  return {
    url: `postgres://postgres:postgres@${address}/postgres`,
    stop: () => server.stop(),
  };
}
