/**
 * Applies the Supabase platform pieces (where the target is not Supabase) and every
 * migration in supabase/migrations, in order, each in its own transaction, recording each
 * version in supabase_migrations.schema_migrations exactly like the Supabase CLI does, so
 * `supabase db push` and this runner agree on what is applied. Safe to run concurrently and
 * repeatedly: a transaction-scoped advisory lock serialises runners and applied versions
 * are skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlClient, SqlQueryable } from '../../shared/db/sql.ts';
import { repoPath } from '../paths.ts';

export interface Migration {
  version: string;
  name: string;
  sql: string;
}

export interface MigrateResult {
  platformApplied: boolean;
  applied: string[];
  alreadyApplied: string[];
}

const MIGRATION_FILE = /^(\d{14})_([a-z0-9_]+)\.sql$/;
// The Supabase CLI's own history table (it creates the same if missing).
const MIGRATION_HISTORY = `
  create schema if not exists supabase_migrations;
  create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
  alter table supabase_migrations.schema_migrations add column if not exists statements text[];
  alter table supabase_migrations.schema_migrations add column if not exists name text;`;
const LOCK_KEY = 7_301_415_926; // any constant shared by every runner

export function readMigrations(dir = repoPath('supabase', 'migrations')): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => {
      const match = MIGRATION_FILE.exec(file);
      if (!match) throw new Error(`migration file name must be <14-digit version>_<snake_name>.sql: ${file}`);
      return { version: match[1]!, name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    });
}

export function readPlatformSql(): string {
  return readFileSync(repoPath('platform', 'sql', 'supabase-platform.sql'), 'utf8');
}

/** A real Supabase database has the `supabase_admin` role; ours never creates it. */
export async function isSupabase(db: SqlQueryable): Promise<boolean> {
  const rows = await db.query<{ found: boolean }>(
    `select exists (select 1 from pg_catalog.pg_roles where rolname = 'supabase_admin') as found`,
  );
  return rows[0]?.found === true;
}

export async function migrate(
  db: SqlClient,
  migrations: Migration[] = readMigrations(),
): Promise<MigrateResult> {
  const result: MigrateResult = { platformApplied: false, applied: [], alreadyApplied: [] };
  if (!(await isSupabase(db))) {
    const platformSql = readPlatformSql();
    await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      await tx.exec(platformSql);
    });
    result.platformApplied = true;
  }
  await db.exec(MIGRATION_HISTORY);
  for (const migration of migrations) {
    const applied = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const done = await tx.query('select 1 from supabase_migrations.schema_migrations where version = $1', [
        migration.version,
      ]);
      if (done.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query(
        'insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)',
        [migration.version, migration.name, [migration.sql]],
      );
      return true;
    });
    (applied ? result.applied : result.alreadyApplied).push(migration.version);
  }
  return result;
}

/** The newest applied migration, or null on an empty database. */
export async function schemaVersion(db: SqlQueryable): Promise<{ version: string; name: string } | null> {
  const rows = await db.query<{ version: string; name: string }>(
    `select version, name from supabase_migrations.schema_migrations order by version desc limit 1`,
  );
  return rows[0] ?? null;
}
