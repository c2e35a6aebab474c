-- Signals and their lifecycle.
--
--   new → analyzing → monitoring → ready → in_position → closed
--   exits: rejected | expired | cancelled | failed
--
-- The allowed transitions live in one lookup table; a trigger refuses every other one with
-- a sentence naming both states, and another writes a signal_events row for every
-- transition (and for the insert), so the audit trail cannot be skipped by any client.

create table internal.signal_transitions (
  from_status text not null,
  to_status text not null,
  primary key (from_status, to_status)
);
comment on table internal.signal_transitions is 'The signal lifecycle: the only status changes the database allows.';

insert into internal.signal_transitions (from_status, to_status) values
  ('new', 'analyzing'), ('new', 'rejected'), ('new', 'expired'), ('new', 'cancelled'), ('new', 'failed'),
  ('analyzing', 'monitoring'), ('analyzing', 'rejected'), ('analyzing', 'expired'),
  ('analyzing', 'cancelled'), ('analyzing', 'failed'),
  ('monitoring', 'ready'), ('monitoring', 'rejected'), ('monitoring', 'expired'),
  ('monitoring', 'cancelled'), ('monitoring', 'failed'),
  ('ready', 'in_position'), ('ready', 'rejected'), ('ready', 'expired'),
  ('ready', 'cancelled'), ('ready', 'failed'),
  ('in_position', 'closed');

-- A trading idea from a trader: what to trade, which way, and (optionally) at which levels.
-- The analysis and the realised outcome are stored on the row as the signal progresses.
create table public.signals (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  trader_id bigint not null,
  symbol text not null check (symbol ~ '^[A-Z0-9]+/[A-Z0-9]+(:[A-Z0-9]+)?$'),
  side text not null check (side in ('long', 'short')),
  status text not null default 'new'
    check (status in ('new', 'analyzing', 'monitoring', 'ready', 'in_position', 'closed',
                      'rejected', 'expired', 'cancelled', 'failed')),
  status_reason text,
  source text not null default 'manual' check (length(source) between 1 and 100),
  timeframe text not null default '5m' check (timeframe ~ '^[0-9]+[smhdwM]$'),
  entry_price numeric check (entry_price > 0),
  stop_loss numeric check (stop_loss > 0),
  take_profit numeric check (take_profit > 0),
  confidence numeric check (confidence between 0 and 1),
  note text check (length(note) <= 2000),
  analysis jsonb,
  analysis_model text,
  analysis_tokens integer,
  analysis_latency_ms integer,
  requires_confirmation boolean not null default false,
  confirmed_at timestamptz,
  realized_pnl numeric,
  fees_paid numeric,
  expires_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner),
  foreign key (trader_id, owner) references public.traders (id, owner),
  constraint closed_signals_have_time check ((status = 'closed') = (closed_at is not null))
);
create index signals_owner on public.signals (owner);
create index signals_trader_status on public.signals (trader_id, status);
create index signals_active on public.signals (status, id)
  where status in ('new', 'analyzing', 'monitoring', 'ready', 'in_position');
comment on table public.signals is
  'Trading signals. status follows the lifecycle in internal.signal_transitions; every change is audited in signal_events.';

-- Append-only audit of every signal transition, written only by the trigger below.
create table public.signal_events (
  id bigint generated always as identity primary key,
  signal_id bigint not null references public.signals (id),
  owner uuid not null references auth.users (id),
  from_status text,
  to_status text not null,
  actor text not null,
  reason text,
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default clock_timestamp()
);
create index signal_events_signal on public.signal_events (signal_id, id);
create index signal_events_owner on public.signal_events (owner);
comment on table public.signal_events is
  'Append-only audit of signal transitions (from, to, actor, reason, context, time). UPDATE and DELETE are refused for every role.';

-- What the monitor saw each time it evaluated a signal's entry conditions, and what it decided.
create table public.signal_monitoring_snapshots (
  id bigint generated always as identity primary key,
  signal_id bigint not null,
  owner uuid not null references auth.users (id),
  decision text not null check (decision in ('wait', 'ready', 'expire', 'reject')),
  price numeric,
  inputs jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (signal_id, owner) references public.signals (id, owner)
);
create index signal_monitoring_snapshots_signal on public.signal_monitoring_snapshots (signal_id, id);
create index signal_monitoring_snapshots_owner on public.signal_monitoring_snapshots (owner);
comment on table public.signal_monitoring_snapshots is
  'Append-only record of each monitoring evaluation: the decision and the inputs behind it.';

-- Refuses any status change outside the lifecycle, and limits what end users may do:
-- they create signals in `new` and may cancel them; everything else is the system's.
create or replace function internal.check_signal_transition() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status <> 'new' then
      raise exception 'signal: a new signal must start in status new, not %', new.status
        using errcode = 'check_violation';
    end if;
    if new.expires_at is null then
      select pg_catalog.now() + t.signal_ttl into new.expires_at
        from public.traders t where t.id = new.trader_id;
    end if;
    return new;
  end if;

  if new.owner <> old.owner or new.trader_id <> old.trader_id then
    raise exception 'signal %: owner and trader cannot change', old.id using errcode = 'check_violation';
  end if;

  if new.status is distinct from old.status then
    if not exists (select 1 from internal.signal_transitions t
                   where t.from_status = old.status and t.to_status = new.status) then
      raise exception 'signal %: cannot go from % to %', old.id, old.status, new.status
        using errcode = 'check_violation';
    end if;
    if internal.is_end_user() and new.status <> 'cancelled' then
      raise exception 'signal %: only the system can move a signal from % to %; users may only cancel',
        old.id, old.status, new.status
        using errcode = 'insufficient_privilege';
    end if;
    if new.status = 'closed' then
      new.closed_at := coalesce(new.closed_at, pg_catalog.now());
    end if;
  end if;
  return new;
end
$$;

create trigger signals_lifecycle before insert or update on public.signals
  for each row execute function internal.check_signal_transition();
create trigger signals_updated_at before update on public.signals
  for each row execute function internal.set_updated_at();

-- Writes the audit row for an insert or a transition. Security definer: users cannot insert
-- into signal_events themselves, so the trail is only ever written here.
create or replace function internal.record_signal_event() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status then
    insert into public.signal_events (signal_id, owner, from_status, to_status, actor, reason, context)
    values (new.id, new.owner, case when tg_op = 'UPDATE' then old.status end, new.status,
            internal.current_actor(), new.status_reason, internal.current_context());
  end if;
  return null;
end
$$;

create trigger signals_audit after insert or update of status on public.signals
  for each row execute function internal.record_signal_event();

call internal.make_append_only('public.signal_events');
call internal.make_append_only('public.signal_monitoring_snapshots');

-- Row level security.
alter table public.signals enable row level security;
alter table public.signal_events enable row level security;
alter table public.signal_monitoring_snapshots enable row level security;

revoke all on public.signals, public.signal_events, public.signal_monitoring_snapshots from anon, authenticated;

grant select on public.signals to authenticated;
grant insert (trader_id, symbol, side, source, timeframe, entry_price, stop_loss, take_profit, confidence,
              note, expires_at)
  on public.signals to authenticated;
grant update (status, status_reason, note) on public.signals to authenticated;
create policy "owners read their signals" on public.signals
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners create signals" on public.signals
  for insert to authenticated with check (owner = (select auth.uid()));
create policy "owners update their signals" on public.signals
  for update to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));

grant select on public.signal_events to authenticated;
create policy "owners read their signal events" on public.signal_events
  for select to authenticated using (owner = (select auth.uid()));

grant select on public.signal_monitoring_snapshots to authenticated;
create policy "owners read their monitoring snapshots" on public.signal_monitoring_snapshots
  for select to authenticated using (owner = (select auth.uid()));
