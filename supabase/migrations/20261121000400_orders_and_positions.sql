-- Orders, their fills, and the positions fills build.
--
-- An order row is written *before* the exchange is called (status `pending`, with its
-- deterministic client order id), so a crash between the call and the answer leaves a row
-- to reconcile by that id. Order status follows internal.order_transitions; every insert,
-- status change and fill change writes an order_events row. Fills (trade_executions) are
-- unique per exchange trade id and, like both event tables, append-only.

create table internal.order_transitions (
  from_status text not null,
  to_status text not null,
  primary key (from_status, to_status)
);
comment on table internal.order_transitions is 'The order status machine: the only status changes the database allows.';

insert into internal.order_transitions (from_status, to_status) values
  -- pending: written before the exchange call
  ('pending', 'open'), ('pending', 'partially_filled'), ('pending', 'filled'), ('pending', 'rejected'),
  ('pending', 'failed'), ('pending', 'unknown'), ('pending', 'cancelled'),
  -- unknown: the call's outcome was not seen (timeout); reconciliation by client order id decides
  ('unknown', 'open'), ('unknown', 'partially_filled'), ('unknown', 'filled'), ('unknown', 'rejected'),
  ('unknown', 'cancelled'), ('unknown', 'expired'), ('unknown', 'failed'),
  ('open', 'partially_filled'), ('open', 'filled'), ('open', 'cancelled'), ('open', 'expired'),
  ('open', 'unknown'),
  ('partially_filled', 'filled'), ('partially_filled', 'cancelled'), ('partially_filled', 'expired'),
  ('partially_filled', 'unknown');

-- An order on an exchange account. `client_order_id` is derived from (order intent, leg,
-- attempt) and unique, which is what makes placement exactly-once.
create table public.orders (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  account_id bigint not null,
  client_order_id text not null unique check (client_order_id ~ '^[A-Za-z0-9._:-]{1,36}$'),
  exchange_order_id text,
  symbol text not null check (symbol ~ '^[A-Z0-9]+/[A-Z0-9]+(:[A-Z0-9]+)?$'),
  side text not null check (side in ('buy', 'sell')),
  type text not null check (type in ('market', 'limit', 'stop_loss', 'stop_loss_limit', 'take_profit',
                                     'take_profit_limit')),
  amount numeric not null check (amount > 0),
  price numeric check (price > 0),
  stop_price numeric check (stop_price > 0),
  reduce_only boolean not null default false,
  emulated boolean not null default false,
  oco_group text,
  status text not null default 'pending'
    check (status in ('pending', 'open', 'partially_filled', 'filled', 'cancelled', 'rejected', 'expired',
                      'unknown', 'failed')),
  status_reason text,
  filled_amount numeric not null default 0 check (filled_amount >= 0),
  average_price numeric check (average_price > 0),
  fee_cost numeric not null default 0 check (fee_cost >= 0),
  fee_currency text,
  submitted_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner),
  unique (account_id, exchange_order_id),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner),
  constraint filled_within_amount check (filled_amount <= amount),
  constraint filled_means_all check (status <> 'filled' or filled_amount = amount),
  constraint limit_orders_have_price check (type not in ('limit', 'stop_loss_limit', 'take_profit_limit') or price is not null),
  constraint trigger_orders_have_stop check (type not in ('stop_loss', 'stop_loss_limit', 'take_profit', 'take_profit_limit') or stop_price is not null)
);
create index orders_owner on public.orders (owner);
create index orders_account_live on public.orders (account_id, status)
  where status in ('pending', 'open', 'partially_filled', 'unknown');
create index orders_oco_group on public.orders (oco_group) where oco_group is not null;
comment on table public.orders is
  'Exchange orders. Written as pending before the exchange call; status follows internal.order_transitions; audited in order_events.';

-- Append-only audit of every order insert, status change and fill change.
create table public.order_events (
  id bigint generated always as identity primary key,
  order_id bigint not null references public.orders (id),
  owner uuid not null references auth.users (id),
  from_status text,
  to_status text not null,
  filled_amount numeric not null,
  previous_filled_amount numeric,
  actor text not null,
  reason text,
  context jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default clock_timestamp()
);
create index order_events_order on public.order_events (order_id, id);
create index order_events_owner on public.order_events (owner);
comment on table public.order_events is
  'Append-only audit of orders: insert, every status change and every fill change. UPDATE and DELETE are refused for every role.';

-- A fill. Unique per (account, exchange trade id) so that syncing the same trades twice
-- records them once.
create table public.trade_executions (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  order_id bigint not null,
  account_id bigint not null,
  exchange_trade_id text not null,
  symbol text not null,
  side text not null check (side in ('buy', 'sell')),
  price numeric not null check (price > 0),
  amount numeric not null check (amount > 0),
  cost numeric not null check (cost >= 0),
  fee_cost numeric not null default 0 check (fee_cost >= 0),
  fee_currency text,
  liquidity text check (liquidity in ('maker', 'taker')),
  executed_at timestamptz not null,
  created_at timestamptz not null default now(),
  unique (account_id, exchange_trade_id),
  foreign key (order_id, owner) references public.orders (id, owner),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner)
);
create index trade_executions_order on public.trade_executions (order_id);
create index trade_executions_owner on public.trade_executions (owner);
comment on table public.trade_executions is
  'Append-only fills, unique per exchange trade id. UPDATE and DELETE are refused for every role.';

-- A position on an account: at most one open per (account, symbol), which is also what
-- "no duplicate exposure on one symbol" means.
create table public.positions (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  account_id bigint not null,
  symbol text not null check (symbol ~ '^[A-Z0-9]+/[A-Z0-9]+(:[A-Z0-9]+)?$'),
  side text not null check (side in ('long', 'short')),
  status text not null default 'open' check (status in ('open', 'closed')),
  amount numeric not null default 0 check (amount >= 0),
  entry_price numeric check (entry_price > 0),
  mark_price numeric check (mark_price > 0),
  realized_pnl numeric not null default 0,
  unrealized_pnl numeric not null default 0,
  fees_paid numeric not null default 0 check (fees_paid >= 0),
  liquidation_price numeric,
  opened_at timestamptz not null default now(),
  closed_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (id, owner),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner),
  constraint closed_positions_are_flat check (status = 'open' or (amount = 0 and closed_at is not null))
);
create unique index positions_one_open_per_symbol on public.positions (account_id, symbol) where status = 'open';
create index positions_owner on public.positions (owner);
comment on table public.positions is
  'Positions built from fills, with live P&L. At most one open position per account and symbol; a closed position is flat.';

-- Which orders belong to which signal, and as which leg. (signal, leg, attempt) is unique:
-- a retry of the same leg is a new attempt with a new client order id, never a silent resend.
create table public.signal_orders (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  signal_id bigint not null,
  order_id bigint not null unique,
  leg text not null check (leg in ('entry', 'stop_loss', 'take_profit', 'exit')),
  attempt integer not null default 1 check (attempt >= 1),
  created_at timestamptz not null default now(),
  unique (signal_id, leg, attempt),
  foreign key (signal_id, owner) references public.signals (id, owner),
  foreign key (order_id, owner) references public.orders (id, owner)
);
create index signal_orders_owner on public.signal_orders (owner);
comment on table public.signal_orders is 'Links a signal to its orders by leg (entry, stop_loss, take_profit, exit) and attempt.';

-- Which position a signal opened.
create table public.signal_positions (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  signal_id bigint not null unique,
  position_id bigint not null,
  created_at timestamptz not null default now(),
  foreign key (signal_id, owner) references public.signals (id, owner),
  foreign key (position_id, owner) references public.positions (id, owner)
);
create index signal_positions_owner on public.signal_positions (owner);
create index signal_positions_position on public.signal_positions (position_id);
comment on table public.signal_positions is 'Links a signal to the position its entry opened.';

-- Order status machine and fill invariants.
create or replace function internal.check_order_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.status not in ('pending', 'open', 'unknown') then
      raise exception 'order %: a new order starts as pending, open or unknown, not %', new.client_order_id, new.status
        using errcode = 'check_violation';
    end if;
    return new;
  end if;

  if new.client_order_id <> old.client_order_id or new.account_id <> old.account_id
     or new.owner <> old.owner or new.side <> old.side or new.symbol <> old.symbol then
    raise exception 'order %: client order id, account, owner, side and symbol cannot change', old.client_order_id
      using errcode = 'check_violation';
  end if;
  if new.filled_amount < old.filled_amount then
    raise exception 'order %: filled amount cannot go down (% → %)', old.client_order_id, old.filled_amount, new.filled_amount
      using errcode = 'check_violation';
  end if;
  if new.status is distinct from old.status then
    if not exists (select 1 from internal.order_transitions t
                   where t.from_status = old.status and t.to_status = new.status) then
      raise exception 'order %: cannot go from % to %', old.client_order_id, old.status, new.status
        using errcode = 'check_violation';
    end if;
    if new.status in ('filled', 'cancelled', 'rejected', 'expired', 'failed') then
      new.closed_at := coalesce(new.closed_at, pg_catalog.now());
    end if;
  elsif old.status in ('filled', 'cancelled', 'rejected', 'expired', 'failed')
        and new.filled_amount <> old.filled_amount then
    raise exception 'order %: a % order cannot take more fills', old.client_order_id, old.status
      using errcode = 'check_violation';
  end if;
  return new;
end
$$;

create trigger orders_status_machine before insert or update on public.orders
  for each row execute function internal.check_order_change();
create trigger orders_updated_at before update on public.orders
  for each row execute function internal.set_updated_at();
create trigger positions_updated_at before update on public.positions
  for each row execute function internal.set_updated_at();

create or replace function internal.record_order_event() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.status is distinct from old.status or new.filled_amount <> old.filled_amount then
    insert into public.order_events (order_id, owner, from_status, to_status, filled_amount,
                                     previous_filled_amount, actor, reason, context)
    values (new.id, new.owner, case when tg_op = 'UPDATE' then old.status end, new.status, new.filled_amount,
            case when tg_op = 'UPDATE' then old.filled_amount end, internal.current_actor(), new.status_reason,
            internal.current_context());
  end if;
  return null;
end
$$;

create trigger orders_audit after insert or update of status, filled_amount on public.orders
  for each row execute function internal.record_order_event();

call internal.make_append_only('public.order_events');
call internal.make_append_only('public.trade_executions');

-- Row level security: users read their own trading records; only the system writes them.
alter table public.orders enable row level security;
alter table public.order_events enable row level security;
alter table public.trade_executions enable row level security;
alter table public.positions enable row level security;
alter table public.signal_orders enable row level security;
alter table public.signal_positions enable row level security;

revoke all on public.orders, public.order_events, public.trade_executions, public.positions,
  public.signal_orders, public.signal_positions from anon, authenticated;
grant select on public.orders, public.order_events, public.trade_executions, public.positions,
  public.signal_orders, public.signal_positions to authenticated;

create policy "owners read their orders" on public.orders
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners read their order events" on public.order_events
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners read their fills" on public.trade_executions
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners read their positions" on public.positions
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners read their signal orders" on public.signal_orders
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners read their signal positions" on public.signal_positions
  for select to authenticated using (owner = (select auth.uid()));
