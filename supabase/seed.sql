-- Local development data (applied by `supabase db reset` and by the local platform):
-- a demo user with a paper account and one AI trader.
insert into auth.users (id, email)
values ('00000000-0000-4000-8000-000000000001', 'demo@tradeflow.local')
on conflict (id) do nothing;

insert into public.exchange_accounts (owner, exchange, mode, label)
select '00000000-0000-4000-8000-000000000001', 'paper', 'paper', 'Demo paper account'
where not exists (select 1 from public.exchange_accounts where owner = '00000000-0000-4000-8000-000000000001');

insert into public.traders (owner, name, kind, account_id, sizing_rule, sizing_value, max_positions, daily_loss_limit)
select a.owner, 'Demo AI trader', 'ai', a.id, 'fixed_quote', 100, 3, 500
  from public.exchange_accounts a
 where a.owner = '00000000-0000-4000-8000-000000000001'
on conflict (owner, name) do nothing;
