import { beforeEach, expect, it } from 'vitest';
import type { SqlQueryable } from '../../shared/db/sql.ts';
import { describeOnEachBackend } from '../support/databases.ts';

interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  status: string;
  attempts: number;
  lease_token: string | null;
  last_error: string | null;
}

const enqueue = async (db: SqlQueryable, kind: string, payload = {}, dedupeKey: string | null = null) => {
  const [row] = await db.query<{ id: number }>('select queue.enqueue($1, $2::jsonb, $3) as id', [
    kind,
    payload,
    dedupeKey,
  ]);
  return row!.id;
};

const claim = (db: SqlQueryable, worker = 'w1', max = 10, lease = '60 seconds') =>
  db.query<Job>('select * from queue.claim($1, $2, $3::interval)', [worker, max, lease]);

const job = async (db: SqlQueryable, id: number) =>
  (await db.query<Job>('select * from queue.jobs where id = $1', [id]))[0];

describeOnEachBackend('job queue', (database) => {
  beforeEach(async () => {
    await database().db.query('delete from queue.jobs');
  });

  it('hands a due job to one claimer with a lease, and completing it removes it', async () => {
    const { db } = database();
    const id = await enqueue(db, 'analyse', { signal_id: 1 });
    const claimed = await claim(db);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({
      id,
      kind: 'analyse',
      payload: { signal_id: 1 },
      status: 'running',
      attempts: 1,
    });
    expect(await claim(db, 'w2')).toEqual([]);
    const [done] = await db.query<{ ok: boolean }>('select queue.complete($1, $2) as ok', [
      id,
      claimed[0]!.lease_token,
    ]);
    expect(done!.ok).toBe(true);
    expect(await job(db, id)).toBeUndefined();
  });

  it('refuses to complete a job for a caller that does not hold its lease', async () => {
    const { db } = database();
    const id = await enqueue(db, 'sync');
    await claim(db);
    const [done] = await db.query<{ ok: boolean }>('select queue.complete($1, gen_random_uuid()) as ok', [
      id,
    ]);
    expect(done!.ok).toBe(false);
    expect((await job(db, id))?.status).toBe('running');
  });

  it('does not hand out a job before its run_at', async () => {
    const { db } = database();
    await db.query(`select queue.enqueue('monitor', '{}', null, now() + interval '1 hour')`);
    expect(await claim(db)).toEqual([]);
  });

  it('treats an equal dedupe key as the same job while it waits or runs, and as new work after', async () => {
    const { db } = database();
    const first = await enqueue(db, 'sync', {}, 'account:1');
    expect(await enqueue(db, 'sync', {}, 'account:1')).toBe(first);
    const [running] = await claim(db);
    expect(await enqueue(db, 'sync', {}, 'account:1')).toBe(first);
    await db.query('select queue.complete($1, $2)', [first, running!.lease_token]);
    expect(await enqueue(db, 'sync', {}, 'account:1')).not.toBe(first);
  });

  it('retries a failing job with growing delays, then dead-letters it', async () => {
    const { db } = database();
    const id = await enqueue(db, 'execute');
    await db.query('update queue.jobs set max_attempts = 4 where id = $1', [id]);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await db.query('update queue.jobs set run_at = now() where id = $1', [id]); // time passes
      const [claimed] = await claim(db);
      expect(claimed).toMatchObject({ id, attempts: attempt });
      const failed = await db.transaction(async (tx) => {
        const [row] = await tx.query<{ status: string }>('select queue.fail($1, $2, $3) as status', [
          id,
          claimed!.lease_token,
          `exchange unavailable (attempt ${attempt})`,
        ]);
        const [delay] = await tx.query<{ delay: number }>(
          'select extract(epoch from run_at - now())::float8 as delay from queue.jobs where id = $1',
          [id],
        );
        return { status: row!.status, delay: delay!.delay };
      });
      if (attempt < 4) {
        expect(failed.status).toBe('queued');
        delays.push(failed.delay);
      } else {
        expect(failed.status).toBe('dead');
      }
    }
    expect(delays[0]).toBeGreaterThanOrEqual(1);
    expect(delays[0]).toBeLessThan(2);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);
    const dead = await job(db, id);
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 4,
      last_error: 'exchange unavailable (attempt 4)',
    });
    await db.query('update queue.jobs set run_at = now() where id = $1', [id]);
    expect(await claim(db)).toEqual([]);
  });

  it('computes backoff as base·2^(attempt-1), capped, with jitter in the upper half', async () => {
    const { db } = database();
    const [row] = await db.query<Record<string, number>>(
      `select extract(epoch from queue.backoff_delay(1, '2 seconds', '10 minutes', 0))::float8 as first_low,
              extract(epoch from queue.backoff_delay(1, '2 seconds', '10 minutes', 1))::float8 as first_high,
              extract(epoch from queue.backoff_delay(4, '2 seconds', '10 minutes', 1))::float8 as fourth_high,
              extract(epoch from queue.backoff_delay(30, '2 seconds', '10 minutes', 1))::float8 as capped`,
    );
    expect(row).toEqual({ first_low: 1, first_high: 2, fourth_high: 16, capped: 600 });
  });

  it('honours a retry delay given by the handler, such as a rate limit’s Retry-After', async () => {
    const { db } = database();
    const id = await enqueue(db, 'sync');
    const [claimed] = await claim(db);
    const row = await db.transaction(async (tx) => {
      await tx.query(`select queue.fail($1, $2, 'rate limited', interval '30 seconds')`, [
        id,
        claimed!.lease_token,
      ]);
      return (
        await tx.query<{ delay: number }>(
          'select extract(epoch from run_at - now())::int as delay from queue.jobs where id = $1',
          [id],
        )
      )[0];
    });
    expect(row!.delay).toBe(30);
  });

  it('reclaims a job whose lease expired, and the stale worker can no longer finish it', async () => {
    const { db } = database();
    const id = await enqueue(db, 'protect');
    const [stale] = await claim(db, 'crashed-worker', 10, '1 millisecond');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [reclaimed] = await db.query<{ n: number }>('select queue.reclaim_expired() as n');
    expect(reclaimed!.n).toBe(1);
    const back = await job(db, id);
    expect(back).toMatchObject({ status: 'queued', attempts: 1, lease_token: null });
    expect(back!.last_error).toContain('lease expired: worker crashed-worker');
    const [done] = await db.query<{ ok: boolean }>('select queue.complete($1, $2) as ok', [
      id,
      stale!.lease_token,
    ]);
    expect(done!.ok).toBe(false);
  });

  it('dead-letters a job whose lease expired on its last attempt, and an operator can revive it', async () => {
    const { db } = database();
    const id = await enqueue(db, 'protect');
    await db.query('update queue.jobs set max_attempts = 1 where id = $1', [id]);
    await claim(db, 'w1', 10, '1 millisecond');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await db.query('select queue.reclaim_expired()');
    expect((await job(db, id))?.status).toBe('dead');
    const [revived] = await db.query<{ ok: boolean }>('select queue.retry_dead($1) as ok', [id]);
    expect(revived!.ok).toBe(true);
    expect(await job(db, id)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('reports queue health per kind', async () => {
    const { db } = database();
    await enqueue(db, 'analyse');
    await enqueue(db, 'analyse');
    await db.query(`select queue.enqueue('analyse', '{}', null, now() + interval '1 hour')`);
    await claim(db, 'w1', 1);
    const [health] = await db.query<Record<string, unknown>>(
      `select kind, due::int, scheduled::int, running::int, dead::int from queue.health where kind = 'analyse'`,
    );
    expect(health).toEqual({ kind: 'analyse', due: 1, scheduled: 1, running: 1, dead: 0 });
  });

  it('sweeps: reclaims expired leases and reports due work', async () => {
    const { db } = database();
    await enqueue(db, 'risk');
    await enqueue(db, 'sync');
    await claim(db, 'w1', 1, '1 millisecond');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [row] = await db.query<{ result: { reclaimed: number; due: number } }>(
      'select queue.sweep() as result',
    );
    expect(row!.result.reclaimed).toBe(1);
    expect(row!.result.due).toBe(1); // the reclaimed one waits out its backoff
  });

  it('nudges the worker over HTTP through pg_net when Vault holds its URL and key', async () => {
    const { db } = database();
    // The same signature as pg_net's net.http_post, recording calls instead of sending them.
    await db.exec(`
      create schema if not exists net;
      create table if not exists net.sent (url text, body jsonb, headers jsonb);
      create or replace function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
        headers jsonb default '{}', timeout_milliseconds integer default 5000) returns bigint
      language sql as $$ insert into net.sent values (url, body, headers); select 1::bigint $$;
      select vault.create_secret('http://127.0.0.1:54321/functions/v1/worker', 'tradeflow_worker_url');
      select vault.create_secret('worker-secret', 'tradeflow_worker_key');`);
    try {
      await db.transaction(async (tx) => {
        await enqueue(tx, 'analyse');
        await enqueue(tx, 'sync');
      });
      const sent = await db.query<{ url: string; headers: Record<string, string> }>(
        'select url, headers from net.sent',
      );
      expect(sent).toEqual([
        {
          url: 'http://127.0.0.1:54321/functions/v1/worker',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer worker-secret' },
        },
      ]);
    } finally {
      await db.exec(
        `drop schema net cascade; delete from vault.secrets where name like 'tradeflow_worker_%';`,
      );
    }
  });
});
