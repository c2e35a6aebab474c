-- Supabase platform pieces for plain PostgreSQL and embedded PGlite.
--
-- On a real Supabase project all of this already exists and this file is never applied
-- (platform/db/migrate.ts detects Supabase by its `supabase_admin` role). Elsewhere it is
-- applied before the migrations, so the same migrations run unchanged everywhere.
-- It is idempotent: applying it twice changes nothing. It is not a migration.

-- Roles: the names PostgREST, Realtime and the Edge Functions use. `service_role` bypasses
-- RLS like on Supabase; `authenticator` is the login role that switches into the others.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;

create schema if not exists extensions;
create schema if not exists auth;
create schema if not exists realtime;
create schema if not exists vault;
create schema if not exists supabase_migrations;

grant usage on schema public, extensions to anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema realtime to anon, authenticated, service_role;

-- Supabase grants everything on new public objects to the API roles by default; migrations
-- must revoke what they do not want exposed. Mirroring that here keeps tests honest.
alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to anon, authenticated, service_role;

-- auth.users: the subset of GoTrue's table that foreign keys and tests need.
create table if not exists auth.users (
  id uuid primary key default gen_random_uuid(),
  email text unique,
  raw_user_meta_data jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
grant select on auth.users to service_role;

-- auth.jwt(), auth.uid(), auth.role(): read the request's JWT claims the way PostgREST and
-- Supabase set them (`request.jwt.claims` as JSON, or the older per-claim settings).
create or replace function auth.jwt() returns jsonb
language sql stable set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claims', true), ''),
    nullif(pg_catalog.current_setting('request.jwt.claim', true), ''),
    '{}'
  )::jsonb
$$;

create or replace function auth.uid() returns uuid
language sql stable set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''),
    auth.jwt() ->> 'sub'
  )::uuid
$$;

create or replace function auth.role() returns text
language sql stable set search_path = ''
as $$
  select coalesce(
    nullif(pg_catalog.current_setting('request.jwt.claim.role', true), ''),
    auth.jwt() ->> 'role'
  )
$$;

grant execute on function auth.jwt(), auth.uid(), auth.role() to anon, authenticated, service_role;

-- realtime.messages: what `realtime.send` writes and what channel authorisation reads.
-- RLS policies on it (written by the migrations) decide who may join which private topic.
create table if not exists realtime.messages (
  id bigint generated always as identity primary key,
  topic text not null,
  extension text not null default 'broadcast',
  event text,
  payload jsonb,
  private boolean not null default true,
  inserted_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index if not exists messages_inserted_at on realtime.messages (inserted_at);
alter table realtime.messages enable row level security;
grant select, insert on realtime.messages to authenticated;
grant all on realtime.messages to service_role;

-- realtime.topic(): the topic being authorised, set by the Realtime server (or our local
-- gateway) before it checks the subscriber's RLS on realtime.messages.
create or replace function realtime.topic() returns text
language sql stable set search_path = ''
as $$ select nullif(pg_catalog.current_setting('realtime.topic', true), '') $$;
grant execute on function realtime.topic() to anon, authenticated, service_role;

-- realtime.send(): same signature as Supabase's. Locally it also raises a NOTIFY carrying
-- the message id, which the local Realtime gateway listens to (Supabase reads the WAL).
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  message_id bigint;
begin
  insert into realtime.messages (topic, extension, event, payload, private)
  values (topic, 'broadcast', event, payload, private)
  returning id into message_id;
  perform pg_catalog.pg_notify('realtime_messages', message_id::text);
end
$$;
revoke execute on function realtime.send(jsonb, text, text, boolean) from public;
grant execute on function realtime.send(jsonb, text, text, boolean) to service_role;

-- Vault shim: the same names as supabase_vault (`vault.create_secret`, the
-- `vault.decrypted_secrets` view). Locally the secret is stored as given, because the
-- whole database is local; on Supabase the real Vault encrypts it.
create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text unique,
  description text not null default '',
  secret text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create or replace view vault.decrypted_secrets as
  select id, name, description, secret, secret as decrypted_secret, created_at, updated_at
  from vault.secrets;

create or replace function vault.create_secret(new_secret text, new_name text default null, new_description text default '')
returns uuid
language sql set search_path = ''
as $$
  insert into vault.secrets (secret, name, description)
  values (new_secret, new_name, coalesce(new_description, ''))
  returning id
$$;

create or replace function vault.update_secret(secret_id uuid, new_secret text default null, new_name text default null, new_description text default null)
returns void
language sql set search_path = ''
as $$
  update vault.secrets
     set secret = coalesce(new_secret, secret),
         name = coalesce(new_name, name),
         description = coalesce(new_description, description),
         updated_at = now()
   where id = secret_id
$$;

revoke all on schema vault from public;
revoke all on all tables in schema vault from public, anon, authenticated;
revoke execute on all functions in schema vault from public, anon, authenticated;

-- Where the Supabase CLI records applied migrations; `supabase db push` reads the same table.
create table if not exists supabase_migrations.schema_migrations (
  version text not null primary key,
  statements text[],
  name text
);
