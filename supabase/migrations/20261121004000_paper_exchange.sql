-- The paper exchange: a simulated venue for accounts in mode `paper`, whose state lives in the
-- database so that it survives restarts and is shared by every function invocation.
--
-- The venue is the *far side* of the Exchange port, like Binance is for a live account. It keeps
-- its own book (internal.paper_orders) and its own fills (internal.paper_trades), separate from
-- public.orders / public.trade_executions, which are the *system's* record of what it asked for
-- and what it saw. Keeping them apart is what lets the worker write its pending order row before
-- calling the venue and reconcile by client order id afterwards, exactly as it does with a real
-- exchange; if the venue wrote into public.orders, reconciliation would compare a row with itself.
-- Only the balances are user-facing (public.paper_balances); the book and fills reach users the
-- same way a real exchange's do: through the sync job into public.orders and trade_executions.
--
-- Prices come from public.candles (the same market data every other part of the system sees),
-- never from a private feed. Matching is done by shared/exchange/paper/ in TypeScript, inside one
-- transaction per operation that first locks the account's balance rows (see below).
--

-- Refuses venue state for an account that is not a paper account: a live account's balances
-- are whatever the exchange says, and a simulated row beside them would be believed by someone.
create or replace function internal.require_paper_account() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  account_mode text;
begin
  select a.mode into account_mode from public.exchange_accounts a where a.id = new.account_id;
  if account_mode is distinct from 'paper' then
    raise exception 'account %: the paper exchange serves paper accounts only (this one is %)',
      new.account_id, coalesce(account_mode, 'missing')
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;
comment on function internal.require_paper_account() is
  'Trigger: paper venue rows (balances, orders, fills) may only belong to accounts in mode paper.';

-- Balances of a paper account per asset, split as a spot venue reports them: `free` can be
-- spent, `locked` is held for resting orders. Written only by the system (the paper venue, the
-- funding function); an order that would take either below zero is refused by the constraints
-- even if the code above them were wrong.
create table public.paper_balances (
  account_id bigint not null,
  owner uuid not null references auth.users (id),
  asset text not null check (asset ~ '^[A-Z0-9]{1,20}$'),
  free numeric not null default 0 check (free >= 0),
  locked numeric not null default 0 check (locked >= 0),
  updated_at timestamptz not null default now(),
  primary key (account_id, asset),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner)
);
create index paper_balances_owner on public.paper_balances (owner);
comment on table public.paper_balances is
  'Balances of paper accounts per asset (free and locked for resting orders). Owners read them; only the system writes. Every paper operation locks the account''s rows first, so concurrent orders cannot overspend.';

create trigger paper_balances_paper_only before insert or update of account_id on public.paper_balances
  for each row execute function internal.require_paper_account();
create trigger paper_balances_updated_at before update on public.paper_balances
  for each row execute function internal.set_updated_at();

-- The paper venue's order book: every order it accepted, in the Exchange port's vocabulary.
-- `id` is the exchange order id it reports. Rejected orders are never stored (a venue does not
-- keep what it refused), so a refused order changes nothing. A client order id is unique per
-- account for ever, not only while open: a second order with the same id is always a duplicate
-- (the Nautilus rule), which is what makes a blind retry harmless.
create table internal.paper_orders (
  id bigint generated always as identity primary key,
  account_id bigint not null,
  owner uuid not null references auth.users (id),
  client_order_id text not null check (length(client_order_id) between 1 and 64),
  symbol text not null check (symbol ~ '^[A-Z0-9]+/[A-Z0-9]+(:[A-Z0-9]+)?$'),
  side text not null check (side in ('buy', 'sell')),
  type text not null check (type in ('market', 'limit', 'stop_loss', 'stop_loss_limit', 'take_profit',
                                     'take_profit_limit')),
  time_in_force text not null default 'GTC' check (time_in_force in ('GTC', 'IOC', 'FOK')),
  price numeric check (price > 0),
  stop_price numeric check (stop_price > 0),
  amount numeric not null check (amount > 0),
  filled numeric not null default 0 check (filled >= 0),
  cost numeric not null default 0 check (cost >= 0),
  fee_cost numeric not null default 0 check (fee_cost >= 0),
  fee_currency text,
  status text not null check (status in ('open', 'partially_filled', 'filled', 'cancelled', 'expired')),
  -- What the order holds in paper_balances.locked while it rests, and in which asset.
  locked numeric not null default 0 check (locked >= 0),
  locked_asset text not null,
  -- Stop and take-profit orders wait for their trigger; null until the price crosses the stop.
  triggered_at timestamptz,
  partial_fill_fraction numeric check (partial_fill_fraction > 0 and partial_fill_fraction <= 1),
  -- Open time of the newest candle this order has been matched against: each candle is applied
  -- to an order once, however often (or however late) the sync job runs.
  matched_through timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (account_id, client_order_id),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner),
  constraint filled_within_amount check (filled <= amount),
  constraint filled_means_all check (status <> 'filled' or filled = amount),
  constraint only_open_orders_hold check (status in ('open', 'partially_filled') or locked = 0),
  constraint limit_orders_have_price check (type not in ('limit', 'stop_loss_limit', 'take_profit_limit') or price is not null),
  constraint trigger_orders_have_stop check (type not in ('stop_loss', 'stop_loss_limit', 'take_profit', 'take_profit_limit') or stop_price is not null)
);
create index paper_orders_open on internal.paper_orders (account_id, symbol)
  where status in ('open', 'partially_filled');
comment on table internal.paper_orders is
  'The paper venue''s own book (not the system''s record of orders, which is public.orders). id is the exchange order id; client_order_id is unique per account for ever.';

create trigger paper_orders_paper_only before insert on internal.paper_orders
  for each row execute function internal.require_paper_account();

-- The paper venue's fills. `id` is the exchange trade id the sync job records once in
-- public.trade_executions. Append-only, like any exchange's trade history.
create table internal.paper_trades (
  id bigint generated always as identity primary key,
  order_id bigint not null references internal.paper_orders (id),
  account_id bigint not null,
  owner uuid not null references auth.users (id),
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  price numeric not null check (price > 0),
  amount numeric not null check (amount > 0),
  cost numeric not null check (cost > 0),
  fee_cost numeric not null check (fee_cost >= 0),
  fee_currency text not null,
  liquidity text not null check (liquidity in ('maker', 'taker')),
  executed_at timestamptz not null,
  foreign key (account_id, owner) references public.exchange_accounts (id, owner)
);
create index paper_trades_account on internal.paper_trades (account_id, symbol, executed_at);
create index paper_trades_order on internal.paper_trades (order_id);
comment on table internal.paper_trades is
  'Fills of the paper venue (append-only). id is the exchange trade id reported to the sync job.';

create trigger paper_trades_append_only before update or delete on internal.paper_trades
  for each row execute function internal.refuse_audit_change();

revoke all on internal.paper_orders, internal.paper_trades from public;

-- Credits a paper account (seeds, tests, a "reset my paper money" button run by the system).
-- Amounts are a jsonb object of asset → decimal string, e.g. {"USDT": "10000"}; each is added
-- to `free`. Refuses a non-paper account (trigger above) and a negative or malformed amount.
create or replace function public.fund_paper_account(
  paper_account_id bigint,
  amounts jsonb default '{"USDT": "10000"}'::jsonb
) returns setof public.paper_balances
language plpgsql security definer set search_path = ''
as $$
declare
  account_owner uuid;
  entry record;
begin
  select a.owner into account_owner from public.exchange_accounts a where a.id = fund_paper_account.paper_account_id;
  if account_owner is null then
    raise exception 'account %: no such exchange account', fund_paper_account.paper_account_id
      using errcode = 'foreign_key_violation';
  end if;
  if pg_catalog.jsonb_typeof(amounts) <> 'object' then
    raise exception 'amounts must be a JSON object of asset to amount, e.g. {"USDT": "10000"}'
      using errcode = 'invalid_parameter_value';
  end if;
  for entry in select e.key, e.value #>> '{}' as amount from pg_catalog.jsonb_each(amounts) e loop
    if entry.amount is null or entry.amount !~ '^[0-9]+(\.[0-9]+)?$' then
      raise exception 'amount of % must be a non-negative decimal, got %', entry.key, entry.amount
        using errcode = 'invalid_parameter_value';
    end if;
    insert into public.paper_balances as b (account_id, owner, asset, free)
    values (fund_paper_account.paper_account_id, account_owner, entry.key, entry.amount::numeric)
    on conflict (account_id, asset) do update set free = b.free + excluded.free;
  end loop;
  return query select b.* from public.paper_balances b
                where b.account_id = fund_paper_account.paper_account_id order by b.asset;
end
$$;
comment on function public.fund_paper_account(bigint, jsonb) is
  'Adds amounts ({"USDT": "10000"} by default) to a paper account''s free balances. System only.';
revoke execute on function public.fund_paper_account(bigint, jsonb) from public, anon, authenticated;

alter table public.paper_balances enable row level security;
revoke all on public.paper_balances from anon, authenticated;
grant select on public.paper_balances to authenticated;
create policy "owners read their paper balances" on public.paper_balances
  for select to authenticated using (owner = (select auth.uid()));
