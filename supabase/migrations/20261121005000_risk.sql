-- Risk engine support (issue 4, item 2).
--
-- The rules themselves are TypeScript (shared/risk): a pure decision, re-checked inside the
-- transaction that writes the entry order with the trader, account and signal rows locked.
-- The database side only needs the reads that check to be cheap, since they run while those
-- locks are held.

-- Today's realised P&L of a trader (shared/risk/daily-pnl.ts): the signals it closed in the
-- current UTC day. Read on every entry and every risk sweep.
create index signals_closed_by_trader on public.signals (trader_id, closed_at)
  include (realized_pnl) where status = 'closed';
comment on index public.signals_closed_by_trader is
  'Daily realised P&L per trader (signals closed today), read by the risk engine under the trader lock.';

-- The same across a user's traders, for the user-level daily loss limit.
create index signals_closed_by_owner on public.signals (owner, closed_at)
  include (realized_pnl) where status = 'closed';
comment on index public.signals_closed_by_owner is
  'Daily realised P&L per user (signals closed today), for the user-level daily loss limit.';

-- Live and filled entry orders per account and symbol: the duplicate-exposure check.
create index orders_account_symbol on public.orders (account_id, symbol)
  where status in ('pending', 'open', 'partially_filled', 'unknown', 'filled');
comment on index public.orders_account_symbol is
  'Orders that hold or may take exposure on an account and symbol: the risk engine''s duplicate-exposure check.';
