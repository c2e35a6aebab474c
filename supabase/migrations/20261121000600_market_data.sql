-- Market data: OHLCV candles shared by all users, with retention and roll-ups.
--
-- Retention by timeframe class: sub-minute ("raw") candles 7 days, minute-class candles
-- (1m up to below 1h) 30 days, hour-class and coarser 1 year. Before minute-class candles
-- age out they are rolled up into 1h candles, so history survives at a coarser grain.

create table public.candles (
  exchange text not null,
  symbol text not null,
  timeframe text not null check (timeframe ~ '^[0-9]+[smhdwM]$'),
  ts timestamptz not null,
  open numeric not null check (open > 0),
  high numeric not null,
  low numeric not null check (low > 0),
  close numeric not null check (close > 0),
  volume numeric not null check (volume >= 0),
  primary key (exchange, symbol, timeframe, ts),
  constraint ohlc_consistent check (high >= greatest(open, close, low) and low <= least(open, close))
);
comment on table public.candles is
  'OHLCV candles keyed by (exchange, symbol, timeframe, ts = open time, UTC). Shared market data, readable by every signed-in user.';

-- Length of a timeframe such as '5m' or '1h' (months as 30 days: retention only).
create or replace function internal.timeframe_interval(timeframe text) returns interval
language sql immutable strict set search_path = ''
as $$
  select (pg_catalog.regexp_match(timeframe, '^[0-9]+'))[1]::integer *
    case pg_catalog.right(timeframe, 1)
      when 's' then interval '1 second' when 'm' then interval '1 minute'
      when 'h' then interval '1 hour' when 'd' then interval '1 day'
      when 'w' then interval '7 days' when 'M' then interval '30 days'
    end
$$;

-- Rolls minute-class candles up into 1h candles for every complete hour before `up_to`,
-- using the finest timeframe available per market. Idempotent: re-running rewrites the same rows.
create or replace function public.roll_up_candles(up_to timestamptz default now())
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  written integer;
begin
  with finest as (
    select c.exchange, c.symbol, min(internal.timeframe_interval(c.timeframe)) as step
      from public.candles c
     where internal.timeframe_interval(c.timeframe) >= interval '1 minute'
       and internal.timeframe_interval(c.timeframe) < interval '1 hour'
     group by c.exchange, c.symbol
  ), source as (
    select c.*, pg_catalog.date_trunc('hour', c.ts) as bucket
      from public.candles c
      join finest f on f.exchange = c.exchange and f.symbol = c.symbol
                   and internal.timeframe_interval(c.timeframe) = f.step
     where c.ts < pg_catalog.date_trunc('hour', up_to)
  ), hours as (
    select exchange, symbol, bucket,
           (array_agg(open order by ts))[1] as open, max(high) as high, min(low) as low,
           (array_agg(close order by ts desc))[1] as close, sum(volume) as volume
      from source
     group by exchange, symbol, bucket
  )
  insert into public.candles (exchange, symbol, timeframe, ts, open, high, low, close, volume)
  select exchange, symbol, '1h', bucket, open, high, low, close, volume from hours
  on conflict (exchange, symbol, timeframe, ts) do update
    set open = excluded.open, high = excluded.high, low = excluded.low,
        close = excluded.close, volume = excluded.volume;
  get diagnostics written = row_count;
  return written;
end
$$;
comment on function public.roll_up_candles(timestamptz) is
  'Aggregates minute-class candles into 1h candles for complete hours before up_to (idempotent).';

-- Deletes candles past their retention. Returns how many rows went, per class.
create or replace function public.prune_candles(now_at timestamptz default now())
returns jsonb
language plpgsql security definer set search_path = ''
as $$
declare
  raw_deleted integer;
  minute_deleted integer;
  hour_deleted integer;
begin
  delete from public.candles
   where internal.timeframe_interval(timeframe) < interval '1 minute' and ts < now_at - interval '7 days';
  get diagnostics raw_deleted = row_count;
  delete from public.candles
   where internal.timeframe_interval(timeframe) >= interval '1 minute'
     and internal.timeframe_interval(timeframe) < interval '1 hour' and ts < now_at - interval '30 days';
  get diagnostics minute_deleted = row_count;
  delete from public.candles
   where internal.timeframe_interval(timeframe) >= interval '1 hour' and ts < now_at - interval '1 year';
  get diagnostics hour_deleted = row_count;
  return pg_catalog.jsonb_build_object('raw', raw_deleted, 'minute', minute_deleted, 'hour', hour_deleted);
end
$$;
comment on function public.prune_candles(timestamptz) is
  'Retention: raw (sub-minute) 7 days, minute-class 30 days, hour-class and coarser 1 year.';

-- The scheduled job: roll up first, then prune, so nothing ages out before it is rolled up.
create or replace function public.maintain_candles(now_at timestamptz default now())
returns jsonb
language sql security definer set search_path = ''
as $$
  select pg_catalog.jsonb_build_object('rolled_up', public.roll_up_candles(now_at),
                                       'pruned', public.prune_candles(now_at))
$$;

revoke execute on function public.roll_up_candles(timestamptz), public.prune_candles(timestamptz),
  public.maintain_candles(timestamptz) from public, anon, authenticated;

alter table public.candles enable row level security;
revoke all on public.candles from anon, authenticated;
grant select on public.candles to authenticated;
create policy "signed-in users read market data" on public.candles
  for select to authenticated using (true);
