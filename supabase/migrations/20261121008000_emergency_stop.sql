-- The user's trading controls that go beyond what RLS lets them write directly:
--
--   public.emergency_stop(reason)     stop everything now: kill switch, halt, cancel, close
--   public.release_kill_switch()      resume after an emergency stop
--   public.confirm_large_trade(id)    let a large entry waiting in `ready` go ahead
--
-- Each is security definer because it writes columns users may not write themselves
-- (halted_until, confirmed_at, alerts, the job queue), and each acts only for auth.uid():
-- there is no parameter naming a user, so one user can never stop, resume or confirm for
-- another. Each is callable by `authenticated` only.
--
-- Halts and releases. An emergency stop halts every trader with halted_until = 'infinity' and
-- a halt_reason starting with 'emergency stop'; only the emergency stop sets an indefinite
-- halt. Releasing the kill switch is the user's explicit decision to trade again, so it lifts
-- exactly those halts. A halt the risk engine set (a finite halted_until still ahead, such as a
-- daily-loss halt until the next UTC day, whatever its wording) is touched by neither
-- function, so releasing can never bypass it; the engaged kill switch covers such a trader
-- while the emergency stop lasts.

-- Halts every one of the caller's traders, engages their kill switch, cancels their signals
-- that have no position yet, and hands the exchange side (cancel open orders, close positions
-- at market) to the worker through one `emergency_stop` job. Idempotent: a second call
-- changes nothing already stopped and reports zeros; the job's dedupe key keeps one job per
-- user while one waits or runs. Pressing again after the worker finished enqueues a new
-- sweep, which is what a panic button should do if anything was left behind.
create or replace function public.emergency_stop(reason text default 'emergency stop') returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  why text := coalesce(nullif(pg_catalog.btrim(reason), ''), 'emergency stop');
  halt_text text;
  actor text;
  previous_actor text := pg_catalog.current_setting('tradeflow.actor', true);
  previous_context text := pg_catalog.current_setting('tradeflow.context', true);
  newly_engaged boolean;
  traders_halted integer;
  signals_cancelled integer;
  waiting_job bigint;
  job_id bigint;
  alert_id bigint;
begin
  if uid is null then
    raise exception 'emergency stop: no signed-in user; call it with the user''s access token'
      using errcode = 'insufficient_privilege';
  end if;
  if pg_catalog.length(why) > 500 then
    raise exception 'emergency stop: the reason must be at most 500 characters'
      using errcode = 'invalid_parameter_value';
  end if;
  actor := 'user:' || uid::text;
  halt_text := case when why like 'emergency stop%' then why else 'emergency stop: ' || why end;

  -- The kill switch first: its row lock serialises concurrent stops of one user, and from
  -- here on no new order may be created for them (the risk guard reads it in-transaction).
  insert into public.kill_switches as k (owner, trader_id, engaged, engaged_at, engaged_by, reason, released_at)
  values (uid, null, true, pg_catalog.now(), actor, why, null)
  on conflict (owner, trader_id) do update
    set engaged = true, engaged_at = excluded.engaged_at, engaged_by = excluded.engaged_by,
        reason = excluded.reason, released_at = null
    where not k.engaged
  returning true into newly_engaged;
  newly_engaged := coalesce(newly_engaged, false);

  -- A trader under an active risk halt (finite, still ahead) keeps it: overwriting it would let
  -- a later release lift a halt the risk engine set. The engaged kill switch covers it meanwhile.
  update public.traders t
     set halted_until = 'infinity', halt_reason = halt_text
   where t.owner = uid
     and t.halted_until is distinct from 'infinity'
     and not coalesce(t.halted_until > pg_catalog.now(), false);
  get diagnostics traders_halted = row_count;

  -- Signals without a position are cancelled; the audit rows name the user as the actor.
  -- Signals in position are the worker's: it closes their positions at market.
  perform pg_catalog.set_config('tradeflow.actor', actor, true);
  perform pg_catalog.set_config('tradeflow.context',
                                pg_catalog.jsonb_build_object('via', 'emergency_stop')::text, true);
  update public.signals s
     set status = 'cancelled', status_reason = why
   where s.owner = uid and s.status in ('new', 'analyzing', 'monitoring', 'ready');
  get diagnostics signals_cancelled = row_count;
  perform pg_catalog.set_config('tradeflow.actor', coalesce(previous_actor, ''), true);
  perform pg_catalog.set_config('tradeflow.context', coalesce(previous_context, ''), true);

  select j.id into waiting_job
    from queue.jobs j
   where j.kind = 'emergency_stop' and j.dedupe_key = 'emergency_stop:' || uid::text
     and j.status in ('queued', 'running');
  job_id := queue.enqueue('emergency_stop', pg_catalog.jsonb_build_object('owner', uid),
                          'emergency_stop:' || uid::text, null, 10, 100::smallint);

  if newly_engaged or traders_halted > 0 or signals_cancelled > 0 then
    insert into public.alerts (owner, severity, kind, message, context)
    values (uid, 'critical', 'emergency_stop',
            pg_catalog.format('Emergency stop (%s): %s trader(s) halted, %s signal(s) cancelled; open orders are being cancelled and positions closed at market.',
                              why, traders_halted, signals_cancelled),
            pg_catalog.jsonb_build_object('reason', why, 'traders_halted', traders_halted,
                                          'signals_cancelled', signals_cancelled, 'job_id', job_id))
    returning id into alert_id;
  end if;

  return pg_catalog.jsonb_build_object(
    'reason', why,
    'kill_switch_engaged', true,
    'kill_switch_newly_engaged', newly_engaged,
    'traders_halted', traders_halted,
    'signals_cancelled', signals_cancelled,
    'job_id', job_id,
    'job_enqueued', waiting_job is null,
    'alert_id', alert_id
  );
end
$$;
comment on function public.emergency_stop(text) is
  'Emergency stop for the calling user (auth.uid()): engages their kill switch, halts their traders indefinitely (an active risk halt, such as a daily-loss halt, is left as it is), cancels their signals not yet in position (audited as user:<uid>), enqueues one emergency_stop job (cancel open orders, close positions at market) and writes a critical alert. Idempotent; returns what it changed.';

-- Releases the caller's kill switch and lifts the halts an emergency stop set. Refused while
-- the emergency_stop job still waits or runs: resuming while positions are being closed would
-- let new entries race the close-out.
create or replace function public.release_kill_switch() returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  released boolean;
  traders_resumed integer;
begin
  if uid is null then
    raise exception 'release kill switch: no signed-in user; call it with the user''s access token'
      using errcode = 'insufficient_privilege';
  end if;
  if exists (select 1 from queue.jobs j
              where j.kind = 'emergency_stop' and j.dedupe_key = 'emergency_stop:' || uid::text
                and j.status in ('queued', 'running')) then
    raise exception 'release kill switch: the emergency stop is still cancelling orders and closing positions; try again when it has finished'
      using errcode = 'object_not_in_prerequisite_state';
  end if;

  update public.kill_switches k
     set engaged = false, released_at = pg_catalog.now()
   where k.owner = uid and k.trader_id is null and k.engaged
  returning true into released;
  released := coalesce(released, false);

  -- Only emergency-stop halts: a risk halt (finite) runs until the risk engine's time.
  update public.traders t
     set halted_until = null, halt_reason = null
   where t.owner = uid and t.halted_until = 'infinity' and coalesce(t.halt_reason like 'emergency stop%', false);
  get diagnostics traders_resumed = row_count;

  if released or traders_resumed > 0 then
    insert into public.alerts (owner, severity, kind, message, context)
    values (uid, 'info', 'kill_switch_released',
            pg_catalog.format('Kill switch released: %s trader(s) resumed.', traders_resumed),
            pg_catalog.jsonb_build_object('traders_resumed', traders_resumed));
  end if;

  return pg_catalog.jsonb_build_object('kill_switch_released', released, 'traders_resumed', traders_resumed);
end
$$;
comment on function public.release_kill_switch() is
  'Releases the calling user''s kill switch and lifts the halts set by emergency_stop (never a risk halt such as a daily-loss halt). Refused while the emergency_stop job is still waiting or running.';

-- The user's go-ahead for an entry the risk engine held back as a large trade: the signal
-- waits in `ready` with requires_confirmation until this sets confirmed_at, then execute runs
-- again. Its own dedupe key: an execute job that is still running may already have decided to
-- wait, and sharing its key would swallow the confirmation. Two execute runs at once are safe
-- (placement is exactly-once by client order id; the risk guard locks the trader).
-- Confirming again is harmless: confirmed_at keeps its first value.
create or replace function public.confirm_large_trade(signal_id bigint) returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  uid uuid := auth.uid();
  target public.signals%rowtype;
  job_id bigint;
begin
  if uid is null then
    raise exception 'confirm large trade: no signed-in user; call it with the user''s access token'
      using errcode = 'insufficient_privilege';
  end if;
  select * into target from public.signals s
   where s.id = confirm_large_trade.signal_id and s.owner = uid
     for update;
  if not found then
    -- The same answer for another user's signal as for a missing one.
    raise exception 'signal % not found', confirm_large_trade.signal_id using errcode = 'no_data_found';
  end if;
  if target.status <> 'ready' or not target.requires_confirmation then
    raise exception 'signal %: nothing to confirm (status %, %)', target.id, target.status,
      case when target.requires_confirmation then 'awaiting confirmation' else 'no confirmation required' end
      using errcode = 'object_not_in_prerequisite_state';
  end if;

  update public.signals s
     set confirmed_at = coalesce(s.confirmed_at, pg_catalog.now())
   where s.id = target.id
  returning s.confirmed_at into target.confirmed_at;
  job_id := queue.enqueue('execute', pg_catalog.jsonb_build_object('signal_id', target.id),
                          'signal:' || target.id || ':execute:confirmed');

  return pg_catalog.jsonb_build_object('signal_id', target.id, 'confirmed_at', target.confirmed_at,
                                       'job_id', job_id);
end
$$;
comment on function public.confirm_large_trade(bigint) is
  'Confirms a large trade for the calling user''s own signal in ready with requires_confirmation: sets confirmed_at (once) and enqueues execute with dedupe key signal:<id>:execute:confirmed.';

-- Functions in public are executable by PUBLIC (and, on this platform, anon and service_role
-- through default privileges): only signed-in users may call these.
revoke all on function public.emergency_stop(text), public.release_kill_switch(),
  public.confirm_large_trade(bigint) from public, anon, service_role;
grant execute on function public.emergency_stop(text), public.release_kill_switch(),
  public.confirm_large_trade(bigint) to authenticated;
