-- Positions from fills, and the sync job's bookkeeping.
--
-- The sync job (shared/sync/) records the exchange's fills into public.trade_executions and
-- folds each one into its position with the accounting of shared/positions/, in the same
-- transaction, so a fill is never recorded without its effect on the position, nor applied
-- twice. What that accounting needs beyond the original columns is added here.

-- The quote paid for what a position holds. The average entry price is this divided by the
-- amount; keeping the sum itself is what makes a round trip's realised P&L exact (the last
-- reduction takes all that is left, whatever a division rounded on the way).
alter table public.positions
  add column cost_basis numeric not null default 0 check (cost_basis >= 0);
comment on column public.positions.cost_basis is
  'Quote paid for the amount held (received for the amount owed, short): Σ fill price × net amount; 0 when closed.';

-- What a position left behind when it was closed: an amount no exit order can take (below the
-- amount step, the minimum amount or the minimum notional). It stays on the account's balance;
-- recording it keeps a closed position honest about it.
alter table public.positions
  add column dust numeric not null default 0 check (dust >= 0);
comment on column public.positions.dust is
  'Base amount left unsellable (below the amount step, min amount or min notional) when the position was closed as flat.';

-- Which position a fill built or reduced. Written with the fill (the table is append-only), so
-- a position's ledger is exactly the fills that point at it.
alter table public.trade_executions add column position_id bigint;
alter table public.trade_executions
  add constraint trade_executions_position foreign key (position_id, owner) references public.positions (id, owner);
create index trade_executions_position on public.trade_executions (position_id) where position_id is not null;
comment on column public.trade_executions.position_id is
  'The position this fill was applied to (null for fills recorded before positions were built from fills).';

-- Per account and symbol, the exchange time from which the next sync asks for fills
-- (`myTrades(symbol, since)`), so a sync reads only what is new. The row is also the lock
-- that serialises the application of fills to one (account, symbol) position.
create table internal.sync_cursors (
  account_id bigint not null references public.exchange_accounts (id),
  symbol text not null,
  trades_since timestamptz,
  updated_at timestamptz not null default now(),
  primary key (account_id, symbol)
);
comment on table internal.sync_cursors is
  'Sync job: per account and symbol, the exchange time to ask for fills from; its row lock serialises fills of one position.';
comment on column internal.sync_cursors.trades_since is
  'Exchange time of the newest fill known to be recorded, not past a fill still waiting for its order to be matched; null = from the start.';
