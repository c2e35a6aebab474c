-- Trader metrics: each trader's track record, kept by the database as its signals end.
--
-- A signal reaches an end status (closed, rejected, expired, cancelled, failed) once and never
-- leaves it (internal.signal_transitions has no way out), so a trigger on that transition counts
-- every signal exactly once, in the same transaction that ends it. The record therefore cannot
-- drift from the signals, whichever client ended them (the worker's close, the API's cancel,
-- the emergency stop, a person in SQL), and a retried job that finds the signal already ended
-- counts nothing twice. A closed signal's result is final: its P&L cannot change afterwards.
--
-- P&L is in the quote currency of the signal's market and can only be summed within one, so
-- the record is kept per (trader, quote currency): a trader on BTC/USDT and ETH/BTC has a USDT
-- row and a BTC row. Counts add up across rows; money never does.

-- One row per trader and quote currency, created when the first of its signals ends and
-- written only by the trigger below.
create table public.trader_metrics (
  trader_id bigint not null,
  quote text not null check (quote ~ '^[A-Z0-9]+$'),
  owner uuid not null references auth.users (id),
  -- Closed signals, split by the sign of their realised P&L (net of fees).
  signals_closed integer not null default 0,
  wins integer not null default 0,
  losses integer not null default 0,
  -- Signals that ended without a trade, by how they ended.
  signals_rejected integer not null default 0,
  signals_expired integer not null default 0,
  signals_cancelled integer not null default 0,
  signals_failed integer not null default 0,
  -- Sums over closed signals, in `quote` (exact numeric, never floats).
  realized_pnl numeric not null default 0,
  fees_paid numeric not null default 0,
  gross_profit numeric not null default 0,
  gross_loss numeric not null default 0,
  best_pnl numeric,
  worst_pnl numeric,
  last_closed_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (trader_id, quote),
  foreign key (trader_id, owner) references public.traders (id, owner) on delete cascade,
  constraint counts_are_not_negative check (
    least(signals_closed, wins, losses, signals_rejected, signals_expired, signals_cancelled, signals_failed) >= 0),
  constraint wins_and_losses_are_closed_signals check (wins + losses <= signals_closed),
  constraint profit_and_loss_have_their_sign check (gross_profit >= 0 and gross_loss <= 0),
  constraint pnl_is_profit_plus_loss check (realized_pnl = gross_profit + gross_loss),
  constraint extremes_only_with_closed_signals check ((signals_closed = 0) = (best_pnl is null and worst_pnl is null))
);
create index trader_metrics_owner on public.trader_metrics (owner);
comment on table public.trader_metrics is
  'Each trader''s track record per quote currency (closed signals, wins, losses, realised P&L, fees, best and worst trade, signals ended without a trade), counted by a trigger in the transaction that ends each signal.';

-- The currency a market's prices, P&L and fees are in: BTC/USDT → USDT, XRP/USDT:USDT → USDT.
create or replace function internal.quote_of(symbol text) returns text
language sql immutable set search_path = ''
as $$ select pg_catalog.split_part(pg_catalog.split_part(symbol, ':', 1), '/', 2) $$;
comment on function internal.quote_of(text) is
  'The quote currency of a market symbol (BTC/USDT → USDT; a settle suffix such as :USDT is ignored).';

-- Adds one ended signal to its trader's record in its quote currency. The upsert takes the row
-- lock, so signals of one trader ending at the same time are counted one after the other. The
-- trigger below calls it as each signal ends; the backfill at the end, once per older signal.
create or replace function internal.add_to_trader_metrics(s public.signals) returns void
language plpgsql security definer set search_path = ''
as $$
declare
  closed boolean := s.status = 'closed';
  -- Null for a signal that ended without a trade: it has no result to add.
  pnl numeric := case when s.status = 'closed' then coalesce(s.realized_pnl, 0) end;
begin
  insert into public.trader_metrics as m (
    trader_id, quote, owner, signals_closed, wins, losses,
    signals_rejected, signals_expired, signals_cancelled, signals_failed,
    realized_pnl, fees_paid, gross_profit, gross_loss, best_pnl, worst_pnl, last_closed_at)
  values (
    s.trader_id, internal.quote_of(s.symbol), s.owner, closed::integer,
    coalesce(pnl > 0, false)::integer, coalesce(pnl < 0, false)::integer,
    (s.status = 'rejected')::integer, (s.status = 'expired')::integer,
    (s.status = 'cancelled')::integer, (s.status = 'failed')::integer,
    coalesce(pnl, 0), case when closed then coalesce(s.fees_paid, 0) else 0 end,
    greatest(coalesce(pnl, 0), 0), least(coalesce(pnl, 0), 0), pnl, pnl,
    case when closed then s.closed_at end)
  on conflict (trader_id, quote) do update set
    signals_closed = m.signals_closed + excluded.signals_closed,
    wins = m.wins + excluded.wins,
    losses = m.losses + excluded.losses,
    signals_rejected = m.signals_rejected + excluded.signals_rejected,
    signals_expired = m.signals_expired + excluded.signals_expired,
    signals_cancelled = m.signals_cancelled + excluded.signals_cancelled,
    signals_failed = m.signals_failed + excluded.signals_failed,
    realized_pnl = m.realized_pnl + excluded.realized_pnl,
    fees_paid = m.fees_paid + excluded.fees_paid,
    gross_profit = m.gross_profit + excluded.gross_profit,
    gross_loss = m.gross_loss + excluded.gross_loss,
    -- greatest/least ignore nulls: a signal ended without a trade leaves the extremes alone.
    best_pnl = greatest(m.best_pnl, excluded.best_pnl),
    worst_pnl = least(m.worst_pnl, excluded.worst_pnl),
    last_closed_at = greatest(m.last_closed_at, excluded.last_closed_at),
    updated_at = pg_catalog.now();
end
$$;
comment on function internal.add_to_trader_metrics(public.signals) is
  'Adds one ended signal to its trader''s trader_metrics row for its quote currency.';
revoke execute on function internal.add_to_trader_metrics(public.signals) from public, anon, authenticated;

-- Counts a signal the moment it ends (exactly once: end statuses are final).
create or replace function internal.count_signal_outcome() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform internal.add_to_trader_metrics(new);
  return null;
end
$$;
comment on function internal.count_signal_outcome() is
  'Adds a signal that has just reached an end status to its trader''s record (internal.add_to_trader_metrics).';
create trigger signals_count_outcome after update of status on public.signals
  for each row
  when (old.status is distinct from new.status
        and new.status in ('closed', 'rejected', 'expired', 'cancelled', 'failed'))
  execute function internal.count_signal_outcome();

-- A closed signal's result is what its trader's record counted: it cannot be rewritten.
create or replace function internal.refuse_result_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  raise exception 'signal %: a closed signal''s realised P&L and fees are final', old.id
    using errcode = 'check_violation';
end
$$;
comment on function internal.refuse_result_change() is
  'Refuses changing realized_pnl or fees_paid of a signal that is already closed (trader_metrics counted them).';
create trigger signals_result_is_final before update of realized_pnl, fees_paid on public.signals
  for each row
  when (old.status = 'closed'
        and (new.realized_pnl is distinct from old.realized_pnl or new.fees_paid is distinct from old.fees_paid))
  execute function internal.refuse_result_change();

-- Signals that ended before this migration: counted by the same function, oldest first.
select internal.add_to_trader_metrics(s) from public.signals s
 where s.status in ('closed', 'rejected', 'expired', 'cancelled', 'failed')
 order by s.id;

-- Live: a dashboard sees the record change as signals end.
create trigger trader_metrics_broadcast after insert or update on public.trader_metrics
  for each row execute function internal.broadcast_change('trader_metrics');

-- Row level security: owners read their traders' records; only the triggers write them.
alter table public.trader_metrics enable row level security;
revoke all on public.trader_metrics from anon, authenticated;
grant select on public.trader_metrics to authenticated;
create policy "owners read their trader metrics" on public.trader_metrics
  for select to authenticated using (owner = (select auth.uid()));
