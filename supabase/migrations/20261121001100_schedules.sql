-- Periodic work. One table lists every schedule; where pg_cron is usable (Supabase, or a
-- server started with shared_preload_libraries = pg_cron) the migration registers each row
-- with cron.schedule, and elsewhere (PGlite) the local platform runs the same rows itself.
--
-- Debian's pg_cron 1.4 accepts only cron syntax (minute granularity); low latency comes from
-- the nudge sent on enqueue, not from cron. Cron is the safety net.

create table queue.schedules (
  name text primary key check (name ~ '^[a-z][a-z0-9_]*$'),
  schedule text not null,
  command text not null,
  description text not null
);
comment on table queue.schedules is
  'Every periodic job: registered with pg_cron as tradeflow_<name> where pg_cron exists, else run by the local platform.';

insert into queue.schedules (name, schedule, command, description) values
  ('queue_sweep', '* * * * *', 'select queue.sweep()',
   'Reclaim expired leases and nudge the workers when jobs are due.'),
  ('monitor', '* * * * *', $$select queue.enqueue('monitor', '{}', 'cron:monitor')$$,
   'Evaluate entry conditions of monitoring signals.'),
  ('sync', '* * * * *', $$select queue.enqueue('sync', '{}', 'cron:sync')$$,
   'Reconcile open orders, fills and positions with the exchanges.'),
  ('risk', '* * * * *', $$select queue.enqueue('risk', '{}', 'cron:risk')$$,
   'Mark to market, enforce loss limits, kill switches and alerts.'),
  ('market_data', '*/5 * * * *', $$select queue.enqueue('market_data', '{}', 'cron:market_data')$$,
   'Ingest recent candles for the symbols in use.'),
  ('candle_retention', '7 * * * *', 'select public.maintain_candles()',
   'Roll minute candles up into hours, then prune past retention.');

-- True where pg_cron can be used from this database.
create or replace function queue.pg_cron_usable() returns boolean
language sql stable set search_path = ''
as $$
  select exists (select 1 from pg_catalog.pg_available_extensions where name = 'pg_cron')
     and coalesce(pg_catalog.current_setting('shared_preload_libraries', true), '') ~ 'pg_cron'
     and pg_catalog.current_database() = coalesce(pg_catalog.current_setting('cron.database_name', true), 'postgres')
$$;

-- Registers (or updates) every row of queue.schedules with pg_cron, and removes tradeflow
-- jobs that are no longer listed. Returns how many are registered; 0 where pg_cron is absent.
create or replace function queue.register_cron_schedules() returns integer
language plpgsql set search_path = ''
as $$
declare
  s record;
  registered integer := 0;
begin
  if not queue.pg_cron_usable() then
    return 0;
  end if;
  create extension if not exists pg_cron with schema pg_catalog;
  for s in select * from queue.schedules order by name loop
    execute 'select cron.schedule($1, $2, $3)' using 'tradeflow_' || s.name, s.schedule, s.command;
    registered := registered + 1;
  end loop;
  execute $q$select count(cron.unschedule(jobname)) from cron.job
              where jobname like 'tradeflow\_%' and substr(jobname, 11) not in (select name from queue.schedules)$q$;
  return registered;
end
$$;
comment on function queue.register_cron_schedules() is
  'Registers queue.schedules with pg_cron as tradeflow_<name> (idempotent); 0 where pg_cron is not usable.';

select queue.register_cron_schedules();

revoke all on queue.schedules from public, anon, authenticated;
grant select on queue.schedules to service_role;
revoke execute on function queue.pg_cron_usable(), queue.register_cron_schedules() from public, anon, authenticated;
