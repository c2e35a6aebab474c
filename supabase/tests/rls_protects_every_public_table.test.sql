-- Row level security: on for every public table, owner-scoped, nothing for anon.
begin;
select plan(7);

select is(
  (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity),
  0,
  'every public table has row level security enabled'
);

select is(
  (select count(*)::int from information_schema.role_table_grants
    where table_schema = 'public' and grantee = 'anon'),
  0,
  'anon holds no privilege on any public table'
);

insert into auth.users (id, email) values
  ('00000000-0000-4000-8000-00000000000a', 'alice@test'),
  ('00000000-0000-4000-8000-00000000000b', 'bob@test');
insert into public.exchange_accounts (owner, label) values ('00000000-0000-4000-8000-00000000000a', 'Alice paper');
insert into public.traders (owner, name, account_id)
  select owner, 'Alice trader', id from public.exchange_accounts where label = 'Alice paper';
insert into public.signals (owner, trader_id, symbol, side)
  select owner, id, 'BTC/USDT', 'long' from public.traders where name = 'Alice trader';

set local role authenticated;
set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000000b", "role": "authenticated"}';

select is((select count(*)::int from public.signals), 0, 'bob sees none of alice''s signals');
select is((select count(*)::int from public.signal_events), 0, 'bob sees none of alice''s signal events');
select is((select count(*)::int from public.traders), 0, 'bob sees none of alice''s traders');
select throws_ok(
  $$insert into public.traders (owner, name) values ('00000000-0000-4000-8000-00000000000a', 'stolen')$$,
  '42501',
  null,
  'bob cannot create a trader owned by alice'
);

set local request.jwt.claims = '{"sub": "00000000-0000-4000-8000-00000000000a", "role": "authenticated"}';
select is((select count(*)::int from public.signals), 1, 'alice sees her own signal');

select * from finish();
rollback;
