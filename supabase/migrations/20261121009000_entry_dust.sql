-- The risk engine's limit on what an entry leaves unsellable (shared/risk/sizing.ts, fitToLot).
--
-- Where a buy's fee is taken in the base asset (Binance spot, the paper venue by default), a buy
-- of A holds A·(1 − fee), which is not a multiple of the market's lot step: the exit can sell
-- only what rounds down to the step, and the rest stays on the balance for good. On a coarse
-- step that rest is worth up to a whole lot (XRP/USDT, step 1, at 100: about 100 USDT). The
-- engine sizes the buy to keep it as small as it can be, and refuses an entry whose expected
-- remainder is worth more than this share of the entry's notional.
--
-- Like max_slippage_bps: not null with a default, so a row (the user's or a trader's) always
-- states it; RLS and the grants of risk_parameters (owners manage their rows, table-wide
-- privileges for `authenticated`) cover the new column as they stand.
alter table public.risk_parameters
  add column max_dust_bps integer not null default 100 check (max_dust_bps between 0 and 10000);
comment on column public.risk_parameters.max_dust_bps is
  'Most an entry''s expected unsellable remainder (a buy''s fee taken in the base asset, below one lot step) may be worth, in basis points of the entry notional; 100 = 1 %.';
