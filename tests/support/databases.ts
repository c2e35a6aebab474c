/**
 * Test databases on both backends: embedded PGlite (fresh and migrated per file) and the
 * real PostgreSQL 15 cluster of the global setup (a fresh copy of the migrated template per
 * file). Database tests run the same specification against both.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { migrate } from '../../platform/db/migrate.ts';
import { openPglite } from '../../platform/db/pglite-client.ts';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../shared/db/sql.ts';

export type Backend = 'pglite' | 'postgres';
export const BACKENDS: Backend[] = ['pglite', 'postgres'];

export interface TestDatabase {
  backend: Backend;
  db: SqlClient;
  /** Connection URL (real PostgreSQL only). */
  url?: string;
  close(): Promise<void>;
}

export async function freshDatabase(
  backend: Backend,
  options: { pool?: number } = {},
): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const { db } = await openPglite();
    await migrate(db);
    return { backend, db, close: () => db.close() };
  }
  const pg = inject('postgres');
  const name = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = connectPostgres(pg.adminUrl, { max: 1 });
  await admin.query(`create database ${name} template ${pg.templateDatabase}`);
  const url = pg.adminUrl.replace(/\/[^/]*$/, `/${name}`);
  const db = connectPostgres(url, { max: options.pool ?? 4 });
  return {
    backend,
    db,
    url,
    async close() {
      await db.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}

/** Declares the same specification once per backend, each with its own fresh database. */
export function describeOnEachBackend(title: string, spec: (database: () => TestDatabase) => void): void {
  describe.each(BACKENDS)(`${title} (%s)`, (backend) => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await freshDatabase(backend);
    });
    afterAll(async () => {
      await database?.close();
    });
    spec(() => {
      if (!database) throw new Error('test database not ready');
      return database;
    });
  });
}

/** Creates a user in auth.users (as Supabase Auth would) and returns its id. */
export async function createUser(db: SqlClient, email = `${randomUUID()}@example.test`): Promise<string> {
  const rows = await db.query<{ id: string }>('insert into auth.users (email) values ($1) returning id', [
    email,
  ]);
  return rows[0]!.id;
}
