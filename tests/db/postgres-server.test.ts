/**
 * What only a real PostgreSQL server shows: concurrent claimers on many connections,
 * NOTIFY delivery, pg_cron registration, and agreement with the Supabase CLI on which
 * migrations are applied.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate, readMigrations, readPlatformSql } from '../../platform/db/migrate.ts';
import { repoRoot } from '../../platform/paths.ts';
import { connectPostgres } from '../../shared/db/postgres-client.ts';
import { claimJobs, completeJobs } from '../../shared/queue/queue-client.ts';
import { freshDatabase, type TestDatabase } from '../support/databases.ts';

const run = promisify(execFile);

describe('job queue on a real server', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterAll(async () => {
    await database.close();
  });

  it('never gives the same job to two of sixteen concurrent claimers', async () => {
    const total = 3000;
    await database.db.query(
      `select queue.enqueue_many('bench', array(select '{}'::jsonb from generate_series(1, $1)))`,
      [total],
    );
    const claimers = Array.from({ length: 16 }, () => connectPostgres(database.url!, { max: 1 }));
    const claimedBy = await Promise.all(
      claimers.map(async (client, index) => {
        const ids: number[] = [];
        for (;;) {
          const jobs = await claimJobs(client, { worker: `claimer-${index}`, maxJobs: 25 });
          if (jobs.length === 0) return ids;
          ids.push(...jobs.map((job) => job.id));
          await completeJobs(client, jobs);
        }
      }),
    );
    await Promise.all(claimers.map((client) => client.close()));
    const all = claimedBy.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(claimedBy.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    const [left] = await database.db.query<{ n: number }>('select count(*)::int as n from queue.jobs');
    expect(left!.n).toBe(0);
  });

  it('sends one NOTIFY on queue_jobs per transaction that enqueues', async () => {
    const listener = postgres(database.url!, { max: 1 });
    const received: string[] = [];
    await listener.listen('queue_jobs', (payload) => received.push(payload));
    await database.db.transaction(async (tx) => {
      await tx.query(`select queue.enqueue('analyse'), queue.enqueue('sync'), queue.enqueue('risk')`);
    });
    await expect.poll(() => received.length, { timeout: 2000 }).toBe(1);
    await listener.end();
  });
});

describe('pg_cron', () => {
  const cronUrl = () => inject('postgres').cronDatabaseUrl;

  it('registers every schedule of queue.schedules as a tradeflow_ cron job', async () => {
    const db = connectPostgres(cronUrl(), { max: 1 });
    try {
      const jobs = await db.query<{ jobname: string; schedule: string; command: string }>(
        `select jobname, schedule, command from cron.job where jobname like 'tradeflow\\_%' order by jobname`,
      );
      const schedules = await db.query<{ name: string; schedule: string; command: string }>(
        'select name, schedule, command from queue.schedules order by name',
      );
      expect(schedules.length).toBeGreaterThanOrEqual(6);
      expect(jobs).toEqual(
        schedules.map((s) => ({ jobname: `tradeflow_${s.name}`, schedule: s.schedule, command: s.command })),
      );
    } finally {
      await db.close();
    }
  });

  it('re-registers idempotently, without duplicate jobs', async () => {
    const db = connectPostgres(cronUrl(), { max: 1 });
    try {
      const [again] = await db.query<{ n: number }>('select queue.register_cron_schedules() as n');
      const [count] = await db.query<{ n: number }>(
        `select count(*)::int as n from cron.job where jobname like 'tradeflow\\_%'`,
      );
      expect(again!.n).toBe(count!.n);
    } finally {
      await db.close();
    }
  });

  it('has its scheduler running in the server', async () => {
    const db = connectPostgres(cronUrl(), { max: 1 });
    try {
      const rows = await db.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where backend_type = 'pg_cron launcher'`,
      );
      expect(rows[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
  });

  it('is left alone in a database pg_cron does not serve, where the platform runs schedules itself', async () => {
    const database = await freshDatabase('postgres');
    try {
      const [row] = await database.db.query<{ usable: boolean; registered: number }>(
        'select queue.pg_cron_usable() as usable, queue.register_cron_schedules() as registered',
      );
      expect(row).toEqual({ usable: false, registered: 0 });
    } finally {
      await database.close();
    }
  });
});

describe('migrations and the Supabase CLI', () => {
  const emptyDatabase = async () => {
    const admin = connectPostgres(inject('postgres').adminUrl, { max: 1 });
    const name = `empty_${Date.now().toString(36)}`;
    await admin.query(`create database ${name}`);
    const url = inject('postgres').adminUrl.replace(/\/[^/]*$/, `/${name}`);
    return {
      url,
      async drop() {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.close();
      },
    };
  };

  const supabasePushDryRun = async (url: string) => {
    const { stdout, stderr } = await run(
      'npx',
      ['supabase', 'db', 'push', `--remote=${url}`, '--dry-run', '--workdir', repoRoot],
      {
        cwd: repoRoot,
        env: { ...process.env, PGSSLMODE: 'disable' },
      },
    );
    return stdout + stderr;
  };

  it('applies everything once, records each version as the CLI does, and then applies nothing', async () => {
    const empty = await emptyDatabase();
    const db = connectPostgres(empty.url, { max: 1 });
    try {
      const first = await migrate(db);
      const second = await migrate(db);
      const versions = readMigrations().map((m) => m.version);
      expect(first.applied).toEqual(versions);
      expect(second).toEqual({ platformApplied: true, applied: [], alreadyApplied: versions });
      const recorded = await db.query<{ version: string; name: string }>(
        'select version, name from supabase_migrations.schema_migrations order by version',
      );
      expect(recorded.map((r) => `${r.version}_${r.name}.sql`)).toEqual(
        readMigrations().map((m) => `${m.version}_${m.name}.sql`),
      );
      expect(await supabasePushDryRun(empty.url)).toContain('Remote database is up to date');
    } finally {
      await db.close();
      await empty.drop();
    }
  }, 120_000);

  it('agrees with `supabase db push`: what the CLI applied, the runner skips', async () => {
    const empty = await emptyDatabase();
    const db = connectPostgres(empty.url, { max: 1 });
    try {
      await db.exec(readPlatformSql());
      await run('npx', ['supabase', 'db', 'push', `--remote=${empty.url}`, '--yes', '--workdir', repoRoot], {
        cwd: repoRoot,
        env: { ...process.env, PGSSLMODE: 'disable' },
      });
      const result = await migrate(db);
      expect(result.applied).toEqual([]);
      expect(result.alreadyApplied).toHaveLength(readMigrations().length);
    } finally {
      await db.close();
      await empty.drop();
    }
  }, 120_000);
});
