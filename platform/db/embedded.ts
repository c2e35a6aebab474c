/**
 * The embedded default database: PGlite persisted in a data directory, with the Supabase
 * platform pieces, every migration and the seed applied, reachable over the PostgreSQL wire
 * protocol so that the Deno functions connect to it exactly as to Supabase (SUPABASE_DB_URL).
 *
 * PGlite is one Postgres session: platform/db/pglite-multiplexer.ts shares it between
 * in-process callers and any number of wire connections, one transaction at a time.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { repoPath } from '../paths.ts';
import { type MigrateResult, migrate } from './migrate.ts';
import { openSharedPglite, type SharedPglite } from './pglite-multiplexer.ts';

export const DEFAULT_DATA_DIR = repoPath('.tradeflow', 'pgdata');

export interface PlatformDatabase {
  kind: 'pglite' | 'postgres';
  db: SqlClient;
  /** Where other processes (Deno functions) connect. */
  url: string | null;
  migration: MigrateResult;
  /** The embedded database's multiplexer (LISTEN in-process, more wire endpoints); null on PostgreSQL. */
  shared: SharedPglite | null;
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
    return {
      kind: 'postgres',
      db,
      url: options.databaseUrl,
      migration,
      shared: null,
      close: () => db.close(),
    };
  }

  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.reset && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const shared = await openSharedPglite(dataDir);
  const { db } = shared;
  try {
    const migration = await migrate(db);
    await applySeed(db);
    const server = options.wirePort === null ? null : await shared.serve(options.wirePort ?? 0);
    return {
      kind: 'pglite',
      db,
      url: server?.url ?? null,
      migration,
      shared,
      // Closing the shared instance stops its wire endpoints and waits for the session to be idle.
      close: () => shared.close(),
    };
  } catch (error) {
    await shared.close();
    throw error;
  }
}

async function applySeed(db: SqlClient): Promise<void> {
  await db.exec(readFileSync(repoPath('supabase', 'seed.sql'), 'utf8'));
}
