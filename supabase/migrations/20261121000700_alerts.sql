-- Alerts: things a trader must know about (failed orders, a disconnected exchange, unusual
-- P&L, rate-limit warnings, risk halts). Written by the system; delivered by the notifier.

create table public.alerts (
  id bigint generated always as identity primary key,
  owner uuid not null references auth.users (id),
  trader_id bigint,
  severity text not null check (severity in ('info', 'warning', 'critical')),
  kind text not null check (kind ~ '^[a-z][a-z0-9_]*$'),
  message text not null check (length(message) between 1 and 2000),
  context jsonb not null default '{}'::jsonb,
  delivered_at timestamptz,
  acknowledged_at timestamptz,
  created_at timestamptz not null default now(),
  foreign key (trader_id, owner) references public.traders (id, owner)
);
create index alerts_owner on public.alerts (owner, created_at desc);
create index alerts_undelivered on public.alerts (id) where delivered_at is null;
comment on table public.alerts is 'Alerts for a user; the system writes them, the user may only acknowledge them.';

alter table public.alerts enable row level security;
revoke all on public.alerts from anon, authenticated;
grant select on public.alerts to authenticated;
grant update (acknowledged_at) on public.alerts to authenticated;
create policy "owners read their alerts" on public.alerts
  for select to authenticated using (owner = (select auth.uid()));
create policy "owners acknowledge their alerts" on public.alerts
  for update to authenticated using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
