/**
 * The stack's database: embedded PGlite (default) or any PostgreSQL (DATABASE_URL), migrated
 * and seeded, with what the rest of the stack needs from it: an in-process SqlClient, the wire
 * URL the Deno functions connect to, and LISTEN.
 *
 * Embedded: PGlite is one Postgres session, shared transaction by transaction between the
 * stack (in-process) and the functions' wire connections by the multiplexer
 * (platform/db/pglite-multiplexer.ts), which also delivers NOTIFYs raised over the wire to
 * in-process listeners. On PostgreSQL, LISTEN is a dedicated connection.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { DEFAULT_DATA_DIR } from '../db/embedded.ts';
import { type MigrateResult, migrate } from '../db/migrate.ts';
import { openSharedPglite } from '../db/pglite-multiplexer.ts';
import { repoPath } from '../paths.ts';
import { type Listen, listenOnPostgres } from '../realtime/listen.ts';

export interface StackDatabase {
  kind: 'pglite' | 'postgres';
  db: SqlClient;
  /** Where the Deno functions connect (SUPABASE_DB_URL). */
  wireUrl: string;
  listen: Listen;
  migration: MigrateResult;
  close(): Promise<void>;
}

export interface StackDatabaseOptions {
  databaseUrl?: string;
  dataDir?: string;
  reset?: boolean;
  /** Wire port of the embedded database; 0 = any free port. */
  wirePort: number;
}

export async function openStackDatabase(options: StackDatabaseOptions): Promise<StackDatabase> {
  if (options.databaseUrl) {
    const db = connectPostgres(options.databaseUrl, { max: 6, applicationName: 'tradeflow-stack' });
    try {
      const migration = await migrate(db);
      await applySeed(db);
      return {
        kind: 'postgres',
        db,
        wireUrl: options.databaseUrl,
        listen: listenOnPostgres(options.databaseUrl),
        migration,
        close: () => db.close(),
      };
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return openEmbedded(options);
}

async function openEmbedded(options: StackDatabaseOptions): Promise<StackDatabase> {
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.reset && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const shared = await openSharedPglite(dataDir);
  try {
    const migration = await migrate(shared.db);
    await applySeed(shared.db);
    const endpoint = await shared.serve(options.wirePort, '127.0.0.1');
    return {
      kind: 'pglite',
      db: shared.db,
      wireUrl: endpoint.url,
      listen: shared.listen,
      migration,
      async close() {
        await endpoint.stop();
        await shared.close();
      },
    };
  } catch (error) {
    await shared.close();
    throw error;
  }
}

async function applySeed(db: SqlClient): Promise<void> {
  await db.exec(readFileSync(repoPath('supabase', 'seed.sql'), 'utf8'));
}
