/** The embedded default: PGlite persisted in a data directory, reachable over the wire. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, inject, it } from 'vitest';
import { openPlatformDatabase } from '../../platform/db/embedded.ts';
import { readMigrations } from '../../platform/db/migrate.ts';
import { repoRoot } from '../../platform/paths.ts';
import { connectPostgres } from '../../shared/db/postgres-client.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'tradeflow-embedded-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('migrates and seeds a new data directory, and serves it over the PostgreSQL wire protocol', async () => {
  const platform = await openPlatformDatabase({ dataDir, wirePort: 0 });
  try {
    expect(platform.migration.applied).toHaveLength(readMigrations().length);
    const client = connectPostgres(platform.url!, { max: 1 });
    const rows = await client.query<{ name: string }>('select name from public.traders');
    await client.close();
    expect(rows).toEqual([{ name: 'Demo AI trader' }]);
  } finally {
    await platform.close();
  }
});

it('keeps its data across restarts and applies nothing twice', async () => {
  const first = await openPlatformDatabase({ dataDir, wirePort: null });
  await first.db.query(`insert into auth.users (email) values ('kept@example.test')`);
  await first.close();
  const second = await openPlatformDatabase({ dataDir, wirePort: null });
  try {
    expect(second.migration.applied).toEqual([]);
    const rows = await second.db.query(`select 1 from auth.users where email = 'kept@example.test'`);
    expect(rows).toHaveLength(1);
  } finally {
    await second.close();
  }
});

it('starts from an empty database with reset', async () => {
  const platform = await openPlatformDatabase({ dataDir, wirePort: null, reset: true });
  try {
    expect(platform.migration.applied).toHaveLength(readMigrations().length);
    expect(await platform.db.query(`select 1 from auth.users where email = 'kept@example.test'`)).toEqual([]);
  } finally {
    await platform.close();
  }
});

it('npm start --once prints the schema version, queue health and schedules as JSON', async () => {
  const { stdout } = await run('npx', ['tsx', 'platform/cli/start.ts', '--once', '--data-dir', dataDir], {
    cwd: repoRoot,
  });
  const status = JSON.parse(stdout.trim().split('\n').pop()!);
  expect(status.schema.version).toBe(readMigrations().at(-1)!.version);
  expect(status.queue).toEqual([]);
  expect(status.schedules.map((s: { name: string }) => s.name)).toContain('queue_sweep');
  expect(new Set(status.schedules.map((s: { runBy: string }) => s.runBy))).toEqual(
    new Set(['local scheduler']),
  );
}, 60_000);

it('npm run db:migrate applies everything to a PostgreSQL server, and refuses to run without a URL', async () => {
  const admin = connectPostgres(inject('postgres').adminUrl, { max: 1 });
  await admin.query('create database migrate_cli');
  try {
    const url = inject('postgres').adminUrl.replace(/\/[^/]*$/, '/migrate_cli');
    const { stdout } = await run('npx', ['tsx', 'platform/cli/migrate.ts', '--db-url', url], {
      cwd: repoRoot,
    });
    expect(JSON.parse(stdout.trim())).toMatchObject({ platform: 'applied', alreadyApplied: 0 });
    const again = await run('npx', ['tsx', 'platform/cli/migrate.ts', '--db-url', url], { cwd: repoRoot });
    expect(JSON.parse(again.stdout.trim())).toEqual({
      platform: 'applied',
      applied: [],
      alreadyApplied: readMigrations().length,
    });
    const missing = run('npx', ['tsx', 'platform/cli/migrate.ts'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: '' },
    });
    await expect(missing).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage: npm run db:migrate'),
    });
  } finally {
    await admin.query('drop database if exists migrate_cli with (force)');
    await admin.close();
  }
}, 60_000);
