-- Conventions every later migration relies on.
--
-- `internal` holds helper functions and lookup tables that the API never exposes (only
-- `public` is served by PostgREST). Every function sets `search_path = ''` and names objects
-- fully, so security-definer functions cannot be hijacked through the search path.

create schema if not exists internal;
revoke all on schema internal from public;
comment on schema internal is
  'tradeflow helpers and lookup tables; not exposed through the API.';

-- Who is acting, for audit rows. The worker names itself with
-- `set_config('tradeflow.actor', 'worker:execute', true)`; a user request is `user:<uid>`;
-- anything else is the database role.
create or replace function internal.current_actor() returns text
language sql stable set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('tradeflow.actor', true), ''),
    'user:' || auth.uid()::text,
    nullif(auth.role(), ''),
    session_user::text
  )
$$;
comment on function internal.current_actor() is
  'The actor recorded in audit rows: tradeflow.actor if the caller set it, else user:<auth.uid()>, else the role.';

-- Extra audit context a caller may attach to the transitions of this transaction
-- (`set_config('tradeflow.context', '{"job_id": 7}', true)`).
create or replace function internal.current_context() returns jsonb
language sql stable set search_path = ''
as $$ select coalesce(nullif(pg_catalog.current_setting('tradeflow.context', true), ''), '{}')::jsonb $$;

-- True when the statement runs as an end user through the API (RLS applies to them).
-- Reads the `role` setting (what PostgREST's SET ROLE sets) rather than current_user, so
-- the answer is the same inside security-definer functions.
create or replace function internal.is_end_user() returns boolean
language sql stable set search_path = ''
as $$ select pg_catalog.current_setting('role', true) in ('authenticated', 'anon') $$;

-- Keeps updated_at honest on every table that has one.
create or replace function internal.set_updated_at() returns trigger
language plpgsql set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.now();
  return new;
end
$$;

-- Audit tables are append-only: this refuses UPDATE, DELETE and TRUNCATE for every role,
-- the service role and the table owner included. The triggers using it are ENABLE ALWAYS,
-- so even session_replication_role = replica does not skip them.
create or replace function internal.refuse_audit_change() returns trigger
language plpgsql set search_path = ''
as $$
begin
  raise exception '%.% is append-only: % is not allowed', tg_table_schema, tg_table_name, lower(tg_op)
    using errcode = 'insufficient_privilege',
          hint = 'Audit rows are never changed; record a new event instead.';
end
$$;
comment on function internal.refuse_audit_change() is
  'Trigger body that makes an audit table append-only for every role.';

-- Makes a table append-only: row triggers refuse UPDATE and DELETE, a statement trigger
-- refuses TRUNCATE, and both are ENABLE ALWAYS so replica mode cannot skip them.
create or replace procedure internal.make_append_only(target regclass)
language plpgsql set search_path = ''
as $$
declare
  name text := (select c.relname from pg_catalog.pg_class c where c.oid = target);
begin
  execute pg_catalog.format(
    'create trigger %I before update or delete on %s for each row execute function internal.refuse_audit_change()',
    name || '_append_only', target);
  execute pg_catalog.format(
    'create trigger %I before truncate on %s for each statement execute function internal.refuse_audit_change()',
    name || '_no_truncate', target);
  execute pg_catalog.format('alter table %s enable always trigger %I', target, name || '_append_only');
  execute pg_catalog.format('alter table %s enable always trigger %I', target, name || '_no_truncate');
end
$$;
comment on procedure internal.make_append_only(regclass) is
  'Installs the append-only guard (no UPDATE, DELETE or TRUNCATE, for any role) on an audit table.';
