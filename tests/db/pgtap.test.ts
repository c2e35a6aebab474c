/** Runs the pgTAP suite in supabase/tests with pg_prove against the real PostgreSQL server. */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoPath } from '../../platform/paths.ts';
import { freshDatabase, type TestDatabase } from '../support/databases.ts';

const run = promisify(execFile);
let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase('postgres');
  await database.db.exec('create extension if not exists pgtap with schema extensions');
  const name = new URL(database.url!).pathname.slice(1);
  // Supabase puts `extensions` on the search path, which is where pgTAP lives.
  await database.db.exec(`alter database ${name} set search_path = "$user", public, extensions`);
});
afterAll(async () => {
  await database.close();
});

it('passes every pgTAP test file under supabase/tests', async () => {
  const files = readdirSync(repoPath('supabase', 'tests')).filter((file) => file.endsWith('.test.sql'));
  expect(files.length).toBeGreaterThanOrEqual(4);
  const url = new URL(database.url!);
  const result = await run('pg_prove', [
    '-h',
    url.hostname,
    '-p',
    url.port,
    '-U',
    'postgres',
    '-d',
    url.pathname.slice(1),
    ...files.map((f) => repoPath('supabase', 'tests', f)),
  ]).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`pg_prove failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
  });
  console.log(result.stdout);
  expect(result.stdout).toMatch(/All tests successful\./);
  expect(result.stdout).toMatch(new RegExp(`Files=${files.length},`));
});
