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

-- Rolls minute-class candles up into 1h candles for every hour that ended before `up_to`, using
-- the finest minute-class timeframe present in that hour (1m ingested lately, 5m before: each
-- hour still rolls up). Prices come from traded bars only (volume > 0; all bars when the hour
-- had no trade), volume is the sum of all: bars without trades repeat the previous close, and an
-- exchange builds its coarser candles from trades. On ../shared/data XRP_ETH-1m this rule
-- reproduces the exchange's own XRP_ETH-5m candles in all 706 traded buckets; counting the filler
-- bars gets 183 wrong (tests/db/market-data/roll-up-and-retention.test.ts). It equals the
-- TypeScript rollUp(…, '1m', '1h', { emptyBars: 'ignore', incomplete: 'keep' }). Idempotent.
create or replace function public.roll_up_candles(up_to timestamptz default now())
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  written integer;
begin
  with source as (
    select c.*, pg_catalog.date_trunc('hour', c.ts) as bucket,
           internal.timeframe_interval(c.timeframe) as step
      from public.candles c
     where internal.timeframe_interval(c.timeframe) >= interval '1 minute'
       and internal.timeframe_interval(c.timeframe) < interval '1 hour'
       and c.ts < pg_catalog.date_trunc('hour', up_to)
  ), finest as (
    select s.exchange, s.symbol, s.bucket, min(s.step) as step
      from source s
     group by s.exchange, s.symbol, s.bucket
  ), hours as (
    -- Prices from traded bars only (volume > 0), unless the hour had no trade at all.
    select s.exchange, s.symbol, s.bucket,
           coalesce((array_agg(s.open order by s.ts) filter (where s.volume > 0))[1],
                    (array_agg(s.open order by s.ts))[1]) as open,
           coalesce(max(s.high) filter (where s.volume > 0), max(s.high)) as high,
           coalesce(min(s.low) filter (where s.volume > 0), min(s.low)) as low,
           coalesce((array_agg(s.close order by s.ts desc) filter (where s.volume > 0))[1],
                    (array_agg(s.close order by s.ts desc))[1]) as close,
           sum(s.volume) as volume
      from source s
      join finest f on f.exchange = s.exchange and f.symbol = s.symbol and f.bucket = s.bucket
                   and f.step = s.step
     group by s.exchange, s.symbol, s.bucket
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
  'Aggregates minute-class candles into 1h candles for hours ended before up_to: finest timeframe per hour, prices from traded bars, idempotent.';

-- Deletes candles past their retention. Returns how many rows went, per class. Minute-class
-- candles go by whole hours: a half-pruned hour would be rolled up again from its remaining
-- minutes and overwrite a correct 1h candle.
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
     and internal.timeframe_interval(timeframe) < interval '1 hour'
     and ts < pg_catalog.date_trunc('hour', now_at - interval '30 days');
  get diagnostics minute_deleted = row_count;
  delete from public.candles
   where internal.timeframe_interval(timeframe) >= interval '1 hour' and ts < now_at - interval '1 year';
  get diagnostics hour_deleted = row_count;
  return pg_catalog.jsonb_build_object('raw', raw_deleted, 'minute', minute_deleted, 'hour', hour_deleted);
end
$$;
comment on function public.prune_candles(timestamptz) is
  'Retention: raw (sub-minute) 7 days, minute-class 30 days (whole hours), hour-class and coarser 1 year.';

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
