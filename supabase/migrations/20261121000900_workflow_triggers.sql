-- The workflow: database changes that start work enqueue a job in the same transaction.
--
--   signal inserted             → analyse  (new → analyzing → monitoring | rejected)
--   signal becomes ready        → execute  (risk checks, entry order)
--   entry order takes a fill    → protect  (stop-loss and take-profit, one OCO group)
--
-- Dedupe keys make each enqueue idempotent while an equal job waits or runs.

create or replace function internal.enqueue_signal_work() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    perform queue.enqueue('analyse', pg_catalog.jsonb_build_object('signal_id', new.id),
                          'signal:' || new.id || ':analyse');
  elsif new.status = 'ready' and old.status is distinct from 'ready' then
    perform queue.enqueue('execute', pg_catalog.jsonb_build_object('signal_id', new.id),
                          'signal:' || new.id || ':execute');
  end if;
  return null;
end
$$;
comment on function internal.enqueue_signal_work() is
  'Enqueues analyse for a new signal and execute for a signal that became ready, in the same transaction.';

create trigger signals_enqueue_work after insert or update of status on public.signals
  for each row execute function internal.enqueue_signal_work();

create or replace function internal.enqueue_protection() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  entry_signal_id bigint;
begin
  if new.filled_amount > old.filled_amount then
    select so.signal_id into entry_signal_id
      from public.signal_orders so
     where so.order_id = new.id and so.leg = 'entry';
    if entry_signal_id is not null then
      perform queue.enqueue('protect',
                            pg_catalog.jsonb_build_object('signal_id', entry_signal_id, 'order_id', new.id),
                            'signal:' || entry_signal_id || ':protect');
    end if;
  end if;
  return null;
end
$$;
comment on function internal.enqueue_protection() is
  'Enqueues protect (stop-loss and take-profit) when an entry order takes a fill, in the same transaction.';

create trigger orders_enqueue_protection after update of filled_amount on public.orders
  for each row execute function internal.enqueue_protection();
