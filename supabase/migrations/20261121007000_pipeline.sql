-- The pipeline's guarantees in the database: protective legs form one OCO group from the
-- moment their order row exists, and an alert is raised once per subject until acknowledged.

-- A signal's stop-loss, take-profit and exit orders are one OCO group ('signal:<id>'): when
-- one of them fills, the rest of the group is cancelled (shared/sync), and an emulated leg
-- that fires cancels its siblings (shared/pipeline/emulated-orders.ts). The group is set
-- when the order is linked to its signal, which placement does in the same transaction that
-- writes the pending row — before anything is sent — so no protective order can ever be on
-- the exchange without its group. A group the writer chose itself is kept.
create or replace function internal.set_signal_oco_group() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.leg in ('stop_loss', 'take_profit', 'exit') then
    update public.orders o
       set oco_group = 'signal:' || new.signal_id
     where o.id = new.order_id and o.oco_group is null;
  end if;
  return null;
end
$$;
comment on function internal.set_signal_oco_group() is
  'Puts every stop_loss, take_profit and exit order of a signal into the OCO group signal:<id>, in the transaction that links it.';

create trigger signal_orders_oco_group after insert on public.signal_orders
  for each row execute function internal.set_signal_oco_group();

-- One open alert per (owner, kind, subject): the risk sweep runs every minute and must not
-- repeat itself. Alerts without a subject are not deduplicated.
create unique index alerts_once_per_subject
  on public.alerts (owner, kind, (context ->> 'subject'))
  where acknowledged_at is null and context ? 'subject';
comment on index public.alerts_once_per_subject is
  'An unacknowledged alert is raised once per owner, kind and subject (context.subject).';

-- The monitor asks for its due signals by the time of their newest snapshot.
create index signal_monitoring_snapshots_latest
  on public.signal_monitoring_snapshots (signal_id, created_at desc);
comment on index public.signal_monitoring_snapshots_latest is
  'The monitor finds each signal''s newest snapshot to decide whether it is due at its trader''s interval.';
