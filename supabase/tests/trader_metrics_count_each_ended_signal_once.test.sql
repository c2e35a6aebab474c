-- Trader metrics: the database counts each signal once, as it ends, and a closed result is final.
begin;
select plan(5);

insert into auth.users (id, email) values ('00000000-0000-4000-8000-0000000000d1', 'dora@test');
insert into public.exchange_accounts (owner, label) values ('00000000-0000-4000-8000-0000000000d1', 'Dora paper');
insert into public.traders (owner, name, account_id)
  select owner, 'Dora trader', id from public.exchange_accounts where label = 'Dora paper';
insert into public.signals (owner, trader_id, symbol, side)
  select owner, id, 'SOL/USDT', 'long' from public.traders where name = 'Dora trader';

create temporary table t on commit drop as select id from public.traders where name = 'Dora trader';
create temporary table s on commit drop as select id from public.signals where symbol = 'SOL/USDT';

select is(
  (select count(*)::int from public.trader_metrics where trader_id = (select id from t)),
  0,
  'a trader with no ended signal has no record yet'
);

update public.signals set status = 'analyzing' where id = (select id from s);
update public.signals set status = 'monitoring' where id = (select id from s);
update public.signals set status = 'ready' where id = (select id from s);
update public.signals set status = 'in_position' where id = (select id from s);
update public.signals set status = 'closed', realized_pnl = -1.25, fees_paid = 0.05 where id = (select id from s);

select results_eq(
  $$select quote, signals_closed, wins, losses, realized_pnl, fees_paid, worst_pnl
      from public.trader_metrics where trader_id = (select id from t)$$,
  $$values ('USDT'::text, 1, 0, 1, -1.25::numeric, 0.05::numeric, -1.25::numeric)$$,
  'closing the signal counted its loss and fees in the same transaction'
);

update public.signals set note = 'looked at it' where id = (select id from s);
select is(
  (select signals_closed from public.trader_metrics where trader_id = (select id from t)),
  1,
  'writing the ended signal again counts nothing twice'
);

select throws_ok(
  $$update public.signals set realized_pnl = 99 where id = (select id from s)$$,
  '23514',
  format('signal %s: a closed signal''s realised P&L and fees are final', (select id from s)),
  'a closed result cannot be rewritten'
);

select is(
  (select realized_pnl from public.trader_metrics where trader_id = (select id from t)),
  -1.25::numeric,
  'the record is unchanged by the refused rewrite'
);

select * from finish();
rollback;
