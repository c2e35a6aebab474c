-- Exchange accounts, traders and the user's trading and risk configuration.
--
-- Tenancy: every row has an `owner` (auth.users.id). RLS lets a user see and change only
-- their own rows. Child rows reference their parent by (id, owner), so a row can never point
-- at another user's parent even though foreign-key checks bypass RLS.

-- An account on an exchange, in one of three modes. Credentials are ciphertext produced by
-- the worker's vault (AES-256-GCM, key per user); `authenticated` can neither select nor
-- update the credential columns (column privileges below), and no API returns them.
create table public.exchange_accounts (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  exchange text not null default 'paper' check (exchange ~ '^[a-z0-9_]+$'),
  mode text not null default 'paper' check (mode in ('paper', 'testnet', 'live')),
  label text not null default 'Paper account' check (length(label) between 1 and 100),
  api_key_ciphertext text,
  api_secret_ciphertext text,
  api_password_ciphertext text,
  key_salt text,
  key_version integer,
  key_suffix text,
  permissions text[] not null default '{}' check (permissions <@ array['read', 'trade', 'withdraw']),
  status text not null default 'active' check (status in ('active', 'disabled', 'deleted')),
  max_order_notional numeric check (max_order_notional > 0),
  last_verified_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner),
  constraint live_accounts_have_credentials
    check (mode = 'paper' or (api_key_ciphertext is not null and api_secret_ciphertext is not null
                              and key_salt is not null and key_version is not null)),
  constraint deleted_status_matches check ((status = 'deleted') = (deleted_at is not null))
);
create index exchange_accounts_owner on public.exchange_accounts (owner);
comment on table public.exchange_accounts is
  'Exchange accounts (paper, testnet, live). Credential columns hold vault ciphertext and are never readable by end users.';

-- A source of signals (an AI trader, a person, a strategy) and the rules its signals trade by.
create table public.traders (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  name text not null check (length(name) between 1 and 100),
  kind text not null default 'ai' check (kind in ('ai', 'human', 'strategy')),
  account_id bigint,
  sizing_rule text not null default 'fixed_quote' check (sizing_rule in ('fixed_quote', 'percent_equity', 'risk_percent')),
  sizing_value numeric not null default 100 check (sizing_value > 0),
  max_positions integer not null default 3 check (max_positions >= 0),
  daily_loss_limit numeric check (daily_loss_limit > 0),
  allowed_symbols text[] not null default '{}',
  auto_execute boolean not null default true,
  analysis_interval interval not null default '1 minute' check (analysis_interval >= '1 second'),
  signal_ttl interval not null default '1 day' check (signal_ttl > '0'),
  halted_until timestamptz,
  halt_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner),
  unique (owner, name),
  foreign key (account_id, owner) references public.exchange_accounts (id, owner)
);
create index traders_owner on public.traders (owner);
create index traders_account on public.traders (account_id);
comment on table public.traders is
  'Signal sources and their configuration: sizing rule, max positions, daily loss limit, allowed symbols, auto-execute, account.';

-- One row per user: defaults that apply to all their traders.
create table public.trading_config (
  owner uuid primary key default auth.uid() references auth.users (id),
  default_account_id bigint,
  quote_currency text not null default 'USDT',
  telegram_chat_id text,
  notify_on text[] not null default array['order_failed', 'position_closed', 'risk'],
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (default_account_id, owner) references public.exchange_accounts (id, owner)
);
comment on table public.trading_config is 'Per-user trading defaults and notification settings.';

-- Risk limits, per user (trader_id null) or per trader (overrides the user's row).
create table public.risk_parameters (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  trader_id bigint,
  max_open_positions integer check (max_open_positions >= 0),
  max_position_notional numeric check (max_position_notional > 0),
  daily_loss_limit numeric check (daily_loss_limit > 0),
  per_position_max_loss_pct numeric check (per_position_max_loss_pct > 0 and per_position_max_loss_pct <= 100),
  max_slippage_bps integer not null default 100 check (max_slippage_bps between 0 and 10000),
  large_trade_threshold numeric check (large_trade_threshold > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (owner, trader_id),
  foreign key (trader_id, owner) references public.traders (id, owner) on delete cascade
);
create index risk_parameters_owner on public.risk_parameters (owner);
comment on table public.risk_parameters is
  'Risk limits for a user (trader_id null) or one trader; re-checked inside the transaction that creates an order.';

-- Kill switch state: engaged for a whole user (trader_id null) or one trader. While engaged,
-- no new order may be created for what it covers.
create table public.kill_switches (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  trader_id bigint,
  engaged boolean not null default true,
  reason text,
  engaged_by text,
  engaged_at timestamptz,
  released_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (owner, trader_id),
  foreign key (trader_id, owner) references public.traders (id, owner) on delete cascade,
  constraint engaged_has_time check (not engaged or engaged_at is not null)
);
create index kill_switches_owner on public.kill_switches (owner);
comment on table public.kill_switches is 'Kill switch per user (trader_id null) or per trader; engaged blocks new orders.';

create trigger exchange_accounts_updated_at before update on public.exchange_accounts
  for each row execute function internal.set_updated_at();
create trigger traders_updated_at before update on public.traders
  for each row execute function internal.set_updated_at();
create trigger trading_config_updated_at before update on public.trading_config
  for each row execute function internal.set_updated_at();
create trigger risk_parameters_updated_at before update on public.risk_parameters
  for each row execute function internal.set_updated_at();
create trigger kill_switches_updated_at before update on public.kill_switches
  for each row execute function internal.set_updated_at();

-- Row level security: owners only, for the `authenticated` role; `anon` gets nothing.
alter table public.exchange_accounts enable row level security;
alter table public.traders enable row level security;
alter table public.trading_config enable row level security;
alter table public.risk_parameters enable row level security;
alter table public.kill_switches enable row level security;

revoke all on public.exchange_accounts, public.traders, public.trading_config,
  public.risk_parameters, public.kill_switches from anon, authenticated;

-- Accounts: readable and editable only through the non-secret columns. Creating live
-- accounts (which carry ciphertext) and deleting go through the API, which uses the vault.
grant select (id, owner, exchange, mode, label, key_suffix, permissions, status, max_order_notional,
              last_verified_at, deleted_at, created_at, updated_at)
  on public.exchange_accounts to authenticated;
grant insert (exchange, mode, label, max_order_notional) on public.exchange_accounts to authenticated;
grant update (label, max_order_notional) on public.exchange_accounts to authenticated;
create policy "owners read their accounts" on public.exchange_accounts
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners add paper accounts" on public.exchange_accounts
  for insert to authenticated with check (owner = (select auth.uid()) and mode = 'paper');
create policy "owners edit their accounts" on public.exchange_accounts
  for update to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));

-- Halting is the risk engine's decision: halted_until and halt_reason are not writable by users.
grant select, delete on public.traders to authenticated;
grant insert (name, kind, account_id, sizing_rule, sizing_value, max_positions, daily_loss_limit,
              allowed_symbols, auto_execute, analysis_interval, signal_ttl)
  on public.traders to authenticated;
grant update (name, kind, account_id, sizing_rule, sizing_value, max_positions, daily_loss_limit,
              allowed_symbols, auto_execute, analysis_interval, signal_ttl)
  on public.traders to authenticated;
create policy "owners manage their traders" on public.traders
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));

grant select, insert, update on public.trading_config to authenticated;
create policy "owners manage their trading config" on public.trading_config
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));

grant select, insert, update, delete on public.risk_parameters to authenticated;
create policy "owners manage their risk parameters" on public.risk_parameters
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));

grant select, insert, update on public.kill_switches to authenticated;
create policy "owners manage their kill switches" on public.kill_switches
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
