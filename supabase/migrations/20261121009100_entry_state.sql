-- The database side of an entry's risk facts, in one round trip (shared/risk/entry-state.ts).
--
-- The execute job reads these facts twice: before asking the exchange (to refuse early without
-- calling it) and again inside the transaction that writes the entry order, under row locks, so
-- that concurrent entries serialise. Read statement by statement that was nine round trips each
-- time, on the path from `ready` to the order on the exchange; here it is one call.
--
-- With p_lock, the rows are locked first and in this order, as everywhere else (the emergency
-- stop halts traders before it cancels signals), which avoids deadlocks:
--   trader  `for no key update`  two entries of one trader run one after the other, and the
--                                second sees the first's pending entry order (READ COMMITTED
--                                gives every later statement a fresh snapshot);
--   account `for no key update`  entries of different traders on one account and symbol
--                                serialise too (no duplicate exposure);
--   signal  `for share`          it cannot be cancelled between the check and the commit.
-- `no key` so that rows referencing them (new signals, alerts, orders' foreign keys) can still
-- be inserted meanwhile.
--
-- Exposure (what counts against max positions) is any other signal of the trader that holds or
-- may soon hold a position: in_position; or with an entry order that is live (pending, open,
-- partially_filled, unknown: it may fill) or filled while the signal is still `ready` (SYNC has
-- not moved it yet); or linked to an open position.
--
-- The daily realised P&L counts the signals closed in [p_day_start, p_day_end) (the caller's
-- UTC day, from its own clock), for the trader and across the user's traders.
--
-- Returns null when the signal does not exist; numbers that are money come back as text, times
-- as epoch milliseconds (an open-ended halt, 'infinity', as the JSON string "Infinity").
-- Realised P&L of the signals closed in [p_from, p_to): of one trader (p_trader_id), or across
-- all of a user's traders (p_trader_id null, p_owner). The one definition of "the day's realised
-- P&L" the risk engine uses (shared/risk/daily-pnl.ts states why signals are its source).
create or replace function internal.realized_pnl_closed_between(
  p_trader_id bigint,
  p_owner uuid,
  p_from timestamptz,
  p_to timestamptz
) returns numeric
language sql stable set search_path = ''
as $$
  select coalesce(sum(s.realized_pnl), 0)
    from public.signals s
   where s.status = 'closed' and s.closed_at >= p_from and s.closed_at < p_to
     and case when p_trader_id is not null then s.trader_id = p_trader_id else s.owner = p_owner end
$$;
comment on function internal.realized_pnl_closed_between(bigint, uuid, timestamptz, timestamptz) is
  'Realised P&L of the signals closed in [p_from, p_to), of one trader or (trader null) of all of a user''s traders.';
revoke execute on function internal.realized_pnl_closed_between(bigint, uuid, timestamptz, timestamptz)
  from public, anon, authenticated;

create or replace function internal.entry_state(
  p_signal_id bigint,
  p_day_start timestamptz,
  p_day_end timestamptz,
  p_lock boolean default false
) returns jsonb
language plpgsql volatile set search_path = ''
as $$
declare
  v_trader_id bigint;
  v_account_id bigint;
  v_owner uuid;
  v_symbol text;
begin
  select s.trader_id, s.owner, s.symbol into v_trader_id, v_owner, v_symbol
    from public.signals s where s.id = p_signal_id;
  if not found then
    return null;
  end if;

  if p_lock then
    select t.account_id into v_account_id from public.traders t where t.id = v_trader_id for no key update;
    if v_account_id is not null then
      perform 1 from public.exchange_accounts a where a.id = v_account_id for no key update;
    end if;
    perform 1 from public.signals s where s.id = p_signal_id for share;
  else
    select t.account_id into v_account_id from public.traders t where t.id = v_trader_id;
  end if;

  return (
    select pg_catalog.jsonb_build_object(
      'trader', (
        select pg_catalog.jsonb_build_object(
          'id', t.id, 'name', t.name, 'account_id', t.account_id, 'sizing_rule', t.sizing_rule,
          'sizing_value', t.sizing_value::text, 'max_positions', t.max_positions,
          'daily_loss_limit', t.daily_loss_limit::text, 'allowed_symbols', t.allowed_symbols,
          'halt_reason', t.halt_reason,
          'halted_until_ms', case when t.halted_until is null then null
                                  when t.halted_until = 'infinity' then pg_catalog.to_jsonb('Infinity'::text)
                                  else pg_catalog.to_jsonb((extract(epoch from t.halted_until) * 1000)::float8) end)
          from public.traders t where t.id = v_trader_id),
      'account', (
        select pg_catalog.jsonb_build_object(
          'id', a.id, 'status', a.status, 'max_order_notional', a.max_order_notional::text)
          from public.exchange_accounts a where a.id = v_account_id),
      'signal', (
        select pg_catalog.jsonb_build_object(
          'id', s.id, 'owner', s.owner, 'trader_id', s.trader_id, 'status', s.status, 'symbol', s.symbol,
          'side', s.side, 'entry_price', s.entry_price::text, 'stop_loss', s.stop_loss::text,
          'take_profit', s.take_profit::text, 'requires_confirmation', s.requires_confirmation,
          'confirmed_at_ms', floor(extract(epoch from s.confirmed_at) * 1000)::float8)
          from public.signals s where s.id = p_signal_id),
      'risk', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
          'trader_id', r.trader_id, 'max_open_positions', r.max_open_positions,
          'max_position_notional', r.max_position_notional::text, 'daily_loss_limit', r.daily_loss_limit::text,
          'max_slippage_bps', r.max_slippage_bps, 'large_trade_threshold', r.large_trade_threshold::text,
          'max_dust_bps', r.max_dust_bps))
          from public.risk_parameters r
         where r.owner = v_owner and (r.trader_id is null or r.trader_id = v_trader_id)), '[]'::jsonb),
      'kill_switches', coalesce((
        select pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('trader_id', k.trader_id, 'reason', k.reason))
          from public.kill_switches k
         where k.owner = v_owner and k.engaged and (k.trader_id is null or k.trader_id = v_trader_id)), '[]'::jsonb),
      'open_positions', (
        select count(*)
          from public.signals s
         where s.trader_id = v_trader_id and s.id <> p_signal_id
           and (s.status = 'in_position'
                or exists (select 1 from public.signal_orders so join public.orders o on o.id = so.order_id
                            where so.signal_id = s.id and so.leg = 'entry'
                              and (o.status in ('pending', 'open', 'partially_filled', 'unknown')
                                   or (o.status = 'filled' and s.status = 'ready')))
                or exists (select 1 from public.signal_positions sp join public.positions p on p.id = sp.position_id
                            where sp.signal_id = s.id and p.status = 'open'))),
      'symbol_exposure', (
        select x.what from (
          (select 'an open ' || p.side || ' position of ' || p.amount::text as what
             from public.positions p
            where p.account_id = v_account_id and p.symbol = v_symbol and p.status = 'open'
              and not exists (select 1 from public.signal_positions sp
                               where sp.position_id = p.id and sp.signal_id = p_signal_id)
            limit 1)
          union all
          (select 'entry order ' || o.client_order_id || ' of signal ' || so.signal_id || ' is ' || o.status
             from public.orders o join public.signal_orders so on so.order_id = o.id and so.leg = 'entry'
             join public.signals s on s.id = so.signal_id
            where o.account_id = v_account_id and o.symbol = v_symbol and so.signal_id <> p_signal_id
              and (o.status in ('pending', 'open', 'partially_filled', 'unknown')
                   or (o.status = 'filled' and s.status in ('ready', 'in_position')))
            limit 1)
          union all
          (select 'signal ' || s.id || ' is in position' from public.signals s
             join public.traders t on t.id = s.trader_id
            where t.account_id = v_account_id and s.symbol = v_symbol and s.status = 'in_position'
              and s.id <> p_signal_id
            limit 1)) x
        limit 1),
      'trader_pnl_today', internal.realized_pnl_closed_between(v_trader_id, null, p_day_start, p_day_end)::text,
      'user_pnl_today', internal.realized_pnl_closed_between(null, v_owner, p_day_start, p_day_end)::text
    )
  );
end
$$;
comment on function internal.entry_state(bigint, timestamptz, timestamptz, boolean) is
  'The database facts of an entry''s risk check in one call (locking trader → account → signal when asked); null for a missing signal.';
revoke execute on function internal.entry_state(bigint, timestamptz, timestamptz, boolean) from public, anon, authenticated;
