-- Strategies (DCA, grid, momentum, AI-hybrid), their parameters, and measured performance.
-- A strategy produces signals through its trader; backtests and live trading both report
-- into strategy_performance.

create table public.strategies (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  trader_id bigint,
  name text not null check (length(name) between 1 and 100),
  kind text not null check (kind in ('dca', 'grid', 'momentum', 'ai_hybrid')),
  symbols text[] not null default '{}',
  timeframe text not null default '5m' check (timeframe ~ '^[0-9]+[smhdwM]$'),
  enabled boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, owner),
  unique (owner, name),
  foreign key (trader_id, owner) references public.traders (id, owner)
);
create index strategies_owner on public.strategies (owner);
comment on table public.strategies is 'Trading strategies; each feeds signals through a trader.';

-- One named parameter of a strategy (e.g. grid levels, DCA interval), as JSON.
create table public.strategy_parameters (
  id bigint generated always as identity primary key,
  owner uuid not null default auth.uid() references auth.users (id),
  strategy_id bigint not null,
  name text not null check (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  value jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (strategy_id, name),
  foreign key (strategy_id, owner) references public.strategies (id, owner) on delete cascade
);
create index strategy_parameters_owner on public.strategy_parameters (owner);
comment on table public.strategy_parameters is 'Named strategy parameters; one row per (strategy, name).';

-- Performance of a strategy over a period, from a backtest or from live trading.
create table public.strategy_performance (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  strategy_id bigint not null,
  source text not null check (source in ('backtest', 'paper', 'live')),
  period_start timestamptz not null,
  period_end timestamptz not null,
  trades integer not null default 0 check (trades >= 0),
  wins integer not null default 0 check (wins >= 0 and wins <= trades),
  net_pnl numeric not null default 0,
  fees_paid numeric not null default 0,
  max_drawdown numeric check (max_drawdown >= 0),
  sharpe numeric,
  profit_factor numeric,
  details jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  foreign key (strategy_id, owner) references public.strategies (id, owner) on delete cascade,
  constraint period_is_ordered check (period_end > period_start)
);
create index strategy_performance_owner on public.strategy_performance (owner);
create index strategy_performance_strategy on public.strategy_performance (strategy_id, period_end desc);
comment on table public.strategy_performance is 'Strategy results per period, from backtests, paper or live trading; written by the system.';

create trigger strategies_updated_at before update on public.strategies
  for each row execute function internal.set_updated_at();
create trigger strategy_parameters_updated_at before update on public.strategy_parameters
  for each row execute function internal.set_updated_at();

alter table public.strategies enable row level security;
alter table public.strategy_parameters enable row level security;
alter table public.strategy_performance enable row level security;

revoke all on public.strategies, public.strategy_parameters, public.strategy_performance from anon, authenticated;
grant select, insert, update, delete on public.strategies, public.strategy_parameters to authenticated;
grant select on public.strategy_performance to authenticated;

create policy "owners manage their strategies" on public.strategies
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
create policy "owners manage their strategy parameters" on public.strategy_parameters
  for all to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
create policy "owners read their strategy performance" on public.strategy_performance
  for select to authenticated using (owner = (select auth.uid()));
