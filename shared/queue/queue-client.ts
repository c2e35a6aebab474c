/**
 * The worker's side of the durable job queue (supabase/migrations/*_job_queue.sql): claim
 * due jobs with a lease, then complete or fail each. Runtime-agnostic: it only needs a
 * SqlQueryable (postgres.js in the Edge Function, PGlite locally).
 */
import type { SqlQueryable } from '../db/sql.ts';

export interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  leaseToken: string;
}

interface JobRow {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  max_attempts: number;
  lease_token: string;
}

export interface ClaimOptions {
  worker: string;
  maxJobs?: number;
  leaseSeconds?: number;
  kinds?: string[];
}

export async function claimJobs(db: SqlQueryable, options: ClaimOptions): Promise<Job[]> {
  const rows = await db.query<JobRow>(
    `select id, kind, payload, attempts, max_attempts, lease_token
       from queue.claim($1, $2, make_interval(secs => $3), $4::text[])`,
    [options.worker, options.maxJobs ?? 10, options.leaseSeconds ?? 60, options.kinds ?? null],
  );
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    leaseToken: row.lease_token,
  }));
}

/** False when the lease was lost (expired and reclaimed): the work must not be acknowledged. */
export async function completeJob(db: SqlQueryable, job: Pick<Job, 'id' | 'leaseToken'>): Promise<boolean> {
  const [row] = await db.query<{ ok: boolean }>('select queue.complete($1, $2) as ok', [
    job.id,
    job.leaseToken,
  ]);
  return row?.ok === true;
}

export async function completeJobs(
  db: SqlQueryable,
  jobs: Pick<Job, 'id' | 'leaseToken'>[],
): Promise<number> {
  if (jobs.length === 0) return 0;
  const [row] = await db.query<{ n: number }>('select queue.complete_many($1::bigint[], $2::uuid[]) as n', [
    jobs.map((job) => job.id),
    jobs.map((job) => job.leaseToken),
  ]);
  return row?.n ?? 0;
}

/** Returns the job's new status: `queued` (will retry after backoff), `dead`, or null if the lease was lost. */
export async function failJob(
  db: SqlQueryable,
  job: Pick<Job, 'id' | 'leaseToken'>,
  error: string,
  retryInSeconds?: number,
): Promise<'queued' | 'dead' | null> {
  const [row] = await db.query<{ status: 'queued' | 'dead' | null }>(
    'select queue.fail($1, $2, $3, make_interval(secs => $4)) as status',
    [job.id, job.leaseToken, error, retryInSeconds ?? null],
  );
  return row?.status ?? null;
}

export async function enqueueJob(
  db: SqlQueryable,
  kind: string,
  payload: Record<string, unknown> = {},
  dedupeKey?: string,
): Promise<number> {
  const [row] = await db.query<{ id: number }>('select queue.enqueue($1, $2::jsonb, $3) as id', [
    kind,
    payload,
    dedupeKey ?? null,
  ]);
  return row!.id;
}

export interface QueueHealth {
  kind: string;
  due: number;
  scheduled: number;
  running: number;
  expiredLeases: number;
  dead: number;
  oldestDueSeconds: number | null;
}

export async function queueHealth(db: SqlQueryable): Promise<QueueHealth[]> {
  const rows = await db.query<{
    kind: string;
    due: number;
    scheduled: number;
    running: number;
    expired_leases: number;
    dead: number;
    oldest_due_seconds: string | null;
  }>('select * from queue.health order by kind');
  return rows.map((row) => ({
    kind: row.kind,
    due: Number(row.due),
    scheduled: Number(row.scheduled),
    running: Number(row.running),
    expiredLeases: Number(row.expired_leases),
    dead: Number(row.dead),
    oldestDueSeconds: row.oldest_due_seconds === null ? null : Number(row.oldest_due_seconds),
  }));
}
