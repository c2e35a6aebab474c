-- Audit tables refuse UPDATE, DELETE and TRUNCATE for every role, the owner included.
begin;
select plan(7);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000d1', 'dave@test');
insert into public.exchange_accounts (owner, label) values ('00000000-0000-4000-8000-0000000000d1', 'Dave paper');
insert into public.traders (owner, name, account_id)
  select owner, 'Dave trader', id from public.exchange_accounts where label = 'Dave paper';
insert into public.signals (owner, trader_id, symbol, side)
  select owner, id, 'SOL/USDT', 'short' from public.traders where name = 'Dave trader';
insert into public.orders (owner, account_id, client_order_id, symbol, side, type, amount)
  select owner, id, 'tf-audit-1', 'SOL/USDT', 'sell', 'market', 2 from public.exchange_accounts where label = 'Dave paper';
insert into public.trade_executions (owner, order_id, account_id, exchange_trade_id, symbol, side, price, amount, cost, executed_at)
  select owner, id, account_id, 'audit-t1', symbol, side, 20, 2, 40, now() from public.orders where client_order_id = 'tf-audit-1';

select throws_like($$update public.signal_events set reason = 'rewritten'$$, '%append-only: update is not allowed%',
  'the owner cannot rewrite signal events');
select throws_like($$delete from public.order_events$$, '%append-only: delete is not allowed%',
  'the owner cannot delete order events');
select throws_like($$truncate public.trade_executions cascade$$, '%append-only: truncate is not allowed%',
  'the owner cannot truncate fills');

set local role service_role;
select throws_like($$update public.trade_executions set price = 1$$, '%append-only: update is not allowed%',
  'the service role cannot rewrite fills');
select throws_like($$delete from public.signal_events$$, '%append-only: delete is not allowed%',
  'the service role cannot delete signal events');
reset role;

set local session_replication_role = replica;
select throws_like($$delete from public.order_events$$, '%append-only%',
  'replica mode does not bypass the audit guard');
reset session_replication_role;

select cmp_ok((select count(*)::int from public.order_events), '>', 0, 'order events survived every attempt');

select * from finish();
rollback;
