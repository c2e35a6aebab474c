-- Realtime: every change of a signal, order or position is broadcast from the database
-- (realtime.send) to the owner's private topic `user:<uid>`. Supabase recommends broadcast
-- from the database over postgres_changes for scale. A client joins the private channel
-- `user:<uid>` after supabase.realtime.setAuth(jwt); the policy below lets a user read
-- (= join) only their own topic.

create or replace function internal.broadcast_change() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  perform realtime.send(
    pg_catalog.jsonb_build_object('table', tg_table_name, 'op', lower(tg_op), 'record', pg_catalog.to_jsonb(new)),
    tg_argv[0],
    'user:' || new.owner::text,
    true
  );
  return null;
end
$$;
comment on function internal.broadcast_change() is
  'Broadcasts the changed row to the owner''s private Realtime topic user:<uid>; the event name is the trigger argument.';

create trigger signals_broadcast after insert or update on public.signals
  for each row execute function internal.broadcast_change('signal');
create trigger orders_broadcast after insert or update on public.orders
  for each row execute function internal.broadcast_change('order');
create trigger positions_broadcast after insert or update on public.positions
  for each row execute function internal.broadcast_change('position');

-- Channel authorisation: a user may receive (select) broadcasts only on their own topic.
create policy "users receive their own topic" on realtime.messages
  for select to authenticated
  using (extension = 'broadcast' and realtime.topic() = 'user:' || (select auth.uid())::text);
