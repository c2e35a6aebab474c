-- The durable job queue.
--
-- Triggers and pg_cron never call business logic: they enqueue a job row in the same
-- transaction as the change that caused it, so work is never lost and never done for a
-- change that rolled back. Workers claim due jobs with a lease (FOR UPDATE SKIP LOCKED, so
-- concurrent claimers never get the same job), then complete or fail them. Failures retry
-- with exponential backoff and jitter until max_attempts, then the job is dead-lettered.
-- An expired lease (a worker that crashed or stalled) is reclaimed like a failure.
-- Delivery to the worker is only a nudge (NOTIFY, and an HTTP call through pg_net on
-- Supabase); a cron sweep is the safety net. Handlers are idempotent: at-least-once.
--
-- The `queue` schema is not exposed through the API; only the worker (service role or the
-- database owner) uses it.

create schema if not exists queue;
revoke all on schema queue from public;
comment on schema queue is 'Durable job queue; not exposed through the API.';

create table queue.jobs (
  id bigint generated always as identity primary key,
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  payload jsonb not null default '{}'::jsonb,
  dedupe_key text,
  status text not null default 'queued' check (status in ('queued', 'running', 'dead')),
  priority smallint not null default 0,
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 5 check (max_attempts >= 1),
  run_at timestamptz not null default now(),
  lease_token uuid,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint running_jobs_hold_a_lease
    check ((status = 'running') = (lease_token is not null and locked_until is not null))
);
comment on table queue.jobs is
  'Jobs waiting (queued), leased (running) or given up on (dead). Completed jobs are deleted.';

-- Claim order: priority, then due time, then age. Only queued rows are indexed for claiming.
create index jobs_due on queue.jobs (priority desc, run_at, id) where status = 'queued';
-- Reclaiming finds expired leases without scanning the queue.
create index jobs_leases on queue.jobs (locked_until) where status = 'running';
-- A dedupe key makes enqueue a no-op while an equal job is waiting or running.
create unique index jobs_dedupe on queue.jobs (kind, dedupe_key)
  where dedupe_key is not null and status in ('queued', 'running');

-- Nudges workers that there is work: NOTIFY for the local dispatcher, and where pg_net is
-- installed and the worker URL and key are in Vault, an HTTP POST to the worker function.
-- Sends at most once per transaction, however many jobs it enqueues.
create or replace function queue.nudge() returns void
language plpgsql security definer set search_path = ''
as $$
declare
  xact text := pg_catalog.pg_current_xact_id()::text;
  worker_url text;
  worker_key text;
begin
  if pg_catalog.current_setting('queue.nudged_in', true) is not distinct from xact then
    return;
  end if;
  perform pg_catalog.set_config('queue.nudged_in', xact, true);
  perform pg_catalog.pg_notify('queue_jobs', '');

  if pg_catalog.to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is null
     or pg_catalog.to_regclass('vault.decrypted_secrets') is null then
    return;
  end if;
  execute 'select max(decrypted_secret) filter (where name = ''tradeflow_worker_url''),
                  max(decrypted_secret) filter (where name = ''tradeflow_worker_key'')
             from vault.decrypted_secrets
            where name in (''tradeflow_worker_url'', ''tradeflow_worker_key'')'
     into worker_url, worker_key;
  if worker_url is null or worker_key is null then
    return;
  end if;
  execute 'select net.http_post(url := $1, body := $2, headers := $3, timeout_milliseconds := 2000)'
    using worker_url, '{"reason": "nudge"}'::jsonb,
          pg_catalog.jsonb_build_object('Content-Type', 'application/json',
                                        'Authorization', 'Bearer ' || worker_key);
end
$$;
comment on function queue.nudge() is
  'Wakes workers: NOTIFY queue_jobs, plus an HTTP POST to the worker through pg_net when Vault holds its URL and key. Once per transaction.';

-- Adds a job. With a dedupe key, returns the id of the equal job already waiting or running
-- instead of adding another.
create or replace function queue.enqueue(
  kind text,
  payload jsonb default '{}'::jsonb,
  dedupe_key text default null,
  run_at timestamptz default null,
  max_attempts integer default 5,
  priority smallint default 0
) returns bigint
language plpgsql security definer set search_path = ''
as $$
#variable_conflict use_column
declare
  job_id bigint;
begin
  insert into queue.jobs (kind, payload, dedupe_key, run_at, max_attempts, priority)
  values (enqueue.kind, coalesce(enqueue.payload, '{}'::jsonb), enqueue.dedupe_key,
          coalesce(enqueue.run_at, pg_catalog.now()), enqueue.max_attempts, enqueue.priority)
  on conflict (kind, dedupe_key) where dedupe_key is not null and status in ('queued', 'running')
  do nothing
  returning id into job_id;

  if job_id is null then
    select j.id into job_id from queue.jobs j
     where j.kind = enqueue.kind and j.dedupe_key = enqueue.dedupe_key and j.status in ('queued', 'running');
  else
    perform queue.nudge();
  end if;
  return job_id;
end
$$;
comment on function queue.enqueue(text, jsonb, text, timestamptz, integer, smallint) is
  'Adds a job (or returns the equal waiting/running job for the same dedupe key) and nudges the workers.';

-- Adds many jobs of one kind in one statement: the batch form of enqueue (no dedupe).
create or replace function queue.enqueue_many(kind text, payloads jsonb[]) returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  added integer;
begin
  insert into queue.jobs (kind, payload)
  select enqueue_many.kind, p from unnest(payloads) as p;
  get diagnostics added = row_count;
  if added > 0 then
    perform queue.nudge();
  end if;
  return added;
end
$$;

-- Leases up to max_jobs due jobs to one worker. SKIP LOCKED lets any number of workers
-- claim concurrently without waiting on, or ever sharing, a job.
create or replace function queue.claim(
  worker text,
  max_jobs integer default 10,
  lease interval default '60 seconds',
  kinds text[] default null
) returns setof queue.jobs
language sql security definer set search_path = ''
as $$
  with due as (
    select j.id
      from queue.jobs j
     where j.status = 'queued' and j.run_at <= pg_catalog.now()
       and (claim.kinds is null or j.kind = any (claim.kinds))
     order by j.priority desc, j.run_at, j.id
     limit claim.max_jobs
       for update skip locked
  )
  update queue.jobs j
     set status = 'running',
         attempts = j.attempts + 1,
         lease_token = gen_random_uuid(),
         locked_by = claim.worker,
         locked_until = pg_catalog.clock_timestamp() + claim.lease,
         updated_at = pg_catalog.now()
    from due
   where j.id = due.id
  returning j.*
$$;
comment on function queue.claim(text, integer, interval, text[]) is
  'Leases up to max_jobs due jobs (FOR UPDATE SKIP LOCKED). Each claim increments attempts and issues a new lease token.';

-- Finishes a job: deletes it, but only while the caller still holds the lease. A worker
-- whose lease expired (and whose job was handed to another) gets false and changes nothing.
create or replace function queue.complete(job_id bigint, lease_token uuid) returns boolean
language sql security definer set search_path = ''
as $$
  with done as (
    delete from queue.jobs j
     where j.id = complete.job_id and j.lease_token = complete.lease_token and j.status = 'running'
    returning 1
  )
  select exists (select 1 from done)
$$;

-- Finishes many jobs at once; returns how many were still held by the given leases.
create or replace function queue.complete_many(job_ids bigint[], lease_tokens uuid[]) returns integer
language sql security definer set search_path = ''
as $$
  with done as (
    delete from queue.jobs j
     using unnest(job_ids, lease_tokens) as c(id, token)
     where j.id = c.id and j.lease_token = c.token and j.status = 'running'
    returning 1
  )
  select count(*)::integer from done
$$;

-- The delay before retry number `attempt` + 1: base × 2^(attempt-1), capped, with "equal
-- jitter" (a random point in the upper half), so delays spread out yet never shrink from
-- one attempt to the next below the cap.
create or replace function queue.backoff_delay(
  attempt integer,
  base interval default '2 seconds',
  cap interval default '10 minutes',
  jitter double precision default random()
) returns interval
language sql immutable set search_path = ''
as $$
  select least(base * pg_catalog.power(2, greatest(attempt, 1) - 1), cap) * (0.5 + 0.5 * jitter)
$$;
comment on function queue.backoff_delay(integer, interval, interval, double precision) is
  'Exponential backoff with equal jitter: min(base·2^(attempt-1), cap) × [0.5, 1).';

-- Records a failure. The job goes back to the queue after a backoff delay (or retry_in, when
-- the handler knows better, e.g. a rate limit's Retry-After), or to the dead letters once it
-- has used max_attempts. Returns the job's new status, or null if the lease was lost.
create or replace function queue.fail(job_id bigint, lease_token uuid, error text, retry_in interval default null)
returns text
language sql security definer set search_path = ''
as $$
  update queue.jobs j
     set status = case when j.attempts >= j.max_attempts then 'dead' else 'queued' end,
         run_at = case when j.attempts >= j.max_attempts then j.run_at
                       else pg_catalog.now() + coalesce(fail.retry_in, queue.backoff_delay(j.attempts)) end,
         last_error = pg_catalog.left(fail.error, 4000),
         lease_token = null, locked_by = null, locked_until = null,
         updated_at = pg_catalog.now()
   where j.id = fail.job_id and j.lease_token = fail.lease_token and j.status = 'running'
  returning j.status
$$;

-- Hands jobs whose lease expired back to the queue (or to the dead letters), as a failure.
create or replace function queue.reclaim_expired() returns integer
language sql security definer set search_path = ''
as $$
  with expired as (
    update queue.jobs j
       set status = case when j.attempts >= j.max_attempts then 'dead' else 'queued' end,
           run_at = case when j.attempts >= j.max_attempts then j.run_at
                         else pg_catalog.now() + queue.backoff_delay(j.attempts) end,
           last_error = 'lease expired: worker ' || coalesce(j.locked_by, '?') || ' stopped or ran too long',
           lease_token = null, locked_by = null, locked_until = null,
           updated_at = pg_catalog.now()
     where j.status = 'running' and j.locked_until < pg_catalog.clock_timestamp()
    returning 1
  )
  select count(*)::integer from expired
$$;

-- Puts a dead job back in the queue with fresh attempts (an operator's decision).
create or replace function queue.retry_dead(job_id bigint) returns boolean
language sql security definer set search_path = ''
as $$
  with revived as (
    update queue.jobs j
       set status = 'queued', attempts = 0, run_at = pg_catalog.now(), updated_at = pg_catalog.now()
     where j.id = retry_dead.job_id and j.status = 'dead'
    returning 1
  )
  select exists (select 1 from revived)
$$;

-- The safety net run by cron: reclaim expired leases and nudge the workers if work is due.
create or replace function queue.sweep() returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  reclaimed integer := queue.reclaim_expired();
  due integer;
begin
  select count(*) into due from queue.jobs j where j.status = 'queued' and j.run_at <= pg_catalog.now();
  if due > 0 then
    perform queue.nudge();
  end if;
  return pg_catalog.jsonb_build_object('reclaimed', reclaimed, 'due', due);
end
$$;

-- Queue health per kind: what waits, what runs, what is stuck, what died.
create or replace view queue.health as
  select kind,
         count(*) filter (where status = 'queued' and run_at <= now()) as due,
         count(*) filter (where status = 'queued' and run_at > now()) as scheduled,
         count(*) filter (where status = 'running') as running,
         count(*) filter (where status = 'running' and locked_until < clock_timestamp()) as expired_leases,
         count(*) filter (where status = 'dead') as dead,
         extract(epoch from now() - min(run_at) filter (where status = 'queued' and run_at <= now()))::numeric(12, 3)
           as oldest_due_seconds,
         max(attempts) filter (where status <> 'dead') as max_attempts_seen
    from queue.jobs
   group by kind;
comment on view queue.health is 'Per kind: due, scheduled, running, expired leases, dead, and the age of the oldest due job.';

revoke all on all tables in schema queue from public, anon, authenticated;
revoke execute on all functions in schema queue from public, anon, authenticated;
grant usage on schema queue to service_role;
grant all on all tables in schema queue to service_role;
grant execute on all functions in schema queue to service_role;
