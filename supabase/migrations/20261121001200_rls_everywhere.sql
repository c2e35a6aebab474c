-- A guard, not a feature: fail the migration if any table in `public` lacks row level
-- security or is reachable by `anon`. Every later migration is checked the same way by
-- the test suite (tests/db/rls.test.ts), so a new table cannot slip through unprotected.

do $$
declare
  unprotected text;
  exposed text;
begin
  select string_agg(c.relname, ', ') into unprotected
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity;
  if unprotected is not null then
    raise exception 'tables in public without row level security: %', unprotected;
  end if;

  select string_agg(distinct table_name, ', ') into exposed
    from information_schema.role_table_grants
   where table_schema = 'public' and grantee = 'anon';
  if exposed is not null then
    raise exception 'tables in public granted to anon: %', exposed;
  end if;
end
$$;
