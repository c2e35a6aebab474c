-- The signal lifecycle: legal steps are audited, illegal ones refused with both states named.
begin;
select plan(6);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000c1', 'carol@test');
insert into public.exchange_accounts (owner, label) values ('00000000-0000-4000-8000-0000000000c1', 'Carol paper');
insert into public.traders (owner, name, account_id)
  select owner, 'Carol trader', id from public.exchange_accounts where label = 'Carol paper';
insert into public.signals (owner, trader_id, symbol, side)
  select owner, id, 'ETH/USDT', 'long' from public.traders where name = 'Carol trader';

create temporary table s on commit drop as select id from public.signals where symbol = 'ETH/USDT';

select lives_ok(
  $$update public.signals set status = 'analyzing' where id = (select id from s)$$,
  'new → analyzing is allowed'
);
select throws_ok(
  $$update public.signals set status = 'closed' where id = (select id from s)$$,
  '23514',
  format('signal %s: cannot go from analyzing to closed', (select id from s)),
  'analyzing → closed is refused, naming both states'
);
select lives_ok(
  $$update public.signals set status = 'monitoring' where id = (select id from s)$$,
  'analyzing → monitoring is allowed'
);
select results_eq(
  $$select from_status, to_status from public.signal_events where signal_id = (select id from s) order by id$$,
  $$values (null::text, 'new'::text), ('new', 'analyzing'), ('analyzing', 'monitoring')$$,
  'every transition, and the insert, wrote one signal event'
);
select throws_ok(
  $$insert into public.signals (owner, trader_id, symbol, side, status)
    select owner, trader_id, symbol, side, 'ready' from public.signals where id = (select id from s)$$,
  '23514',
  'signal: a new signal must start in status new, not ready',
  'a signal cannot be created past new'
);
select is(
  (select count(*)::int from queue.jobs where kind = 'analyse' and payload->>'signal_id' = (select id from s)::text),
  1,
  'creating the signal enqueued its analysis in the same transaction'
);

select * from finish();
rollback;
