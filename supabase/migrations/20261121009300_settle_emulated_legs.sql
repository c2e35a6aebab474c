-- Settling emulated legs in one statement.
--
-- Every sync (and every risk sweep) asks whether any of an account's emulated legs can no
-- longer fire; almost always none can. As a transaction of its own that question cost four
-- round trips (begin, the actor, the update, commit); as one call it costs one, and the
-- cancellations it does make are still audited as worker:sync.

-- Cancels the account's emulated legs that must not fire any more (a member of their OCO group
-- has taken a fill, their signal's position is closed, or their signal has left the states that
-- hold a position); returns their ids. The venue never saw them, so the database alone settles
-- them. The actor and context are set for this statement's order events only: a caller's own
-- settings are put back afterwards.
create or replace function internal.settle_emulated_legs(p_account_id bigint)
returns setof bigint
language plpgsql set search_path = ''
as $$
declare
  previous_actor text := pg_catalog.current_setting('tradeflow.actor', true);
  previous_context text := pg_catalog.current_setting('tradeflow.context', true);
begin
  perform pg_catalog.set_config('tradeflow.actor', 'worker:sync', true),
          pg_catalog.set_config('tradeflow.context', '{"job":"sync","step":"settle emulated legs"}', true);
  return query
    update public.orders o
       set status = 'cancelled',
           status_reason = 'emulated leg no longer needed: its OCO group filled or its position is closed'
     where o.account_id = p_account_id and o.emulated and o.status = 'open'
       and (exists (select 1 from public.orders g
                     where g.oco_group = o.oco_group and g.id <> o.id and g.filled_amount > 0)
            or exists (select 1 from public.signal_orders so
                         join public.signals s on s.id = so.signal_id
                        where so.order_id = o.id
                          and (s.status not in ('ready', 'in_position')
                               or exists (select 1 from public.signal_positions sp
                                            join public.positions p on p.id = sp.position_id
                                           where sp.signal_id = s.id and p.status = 'closed'))))
    returning o.id;
  perform pg_catalog.set_config('tradeflow.actor', coalesce(previous_actor, ''), true),
          pg_catalog.set_config('tradeflow.context', coalesce(previous_context, ''), true);
end
$$;
comment on function internal.settle_emulated_legs(bigint) is
  'Cancels an account''s emulated legs that can no longer fire (OCO group filled, position closed, signal ended), audited as worker:sync; returns their ids.';
revoke execute on function internal.settle_emulated_legs(bigint) from public, anon, authenticated;
