-- Job queue semantics: lease, exclusive claim, backoff, dead letters, lease expiry.
begin;
select plan(9);

delete from queue.jobs;
select queue.enqueue('execute', '{"signal_id": 1}', 'signal:1:execute', null, 2);

select is(queue.enqueue('execute', '{"signal_id": 1}', 'signal:1:execute'),
          (select id from queue.jobs where dedupe_key = 'signal:1:execute'),
          'an equal dedupe key returns the waiting job');

create temporary table lease on commit drop as select * from queue.claim('w1', 10, '60 seconds');
select is((select count(*)::int from lease), 1, 'the first claimer gets the job');
select is((select count(*)::int from queue.claim('w2', 10, '60 seconds')), 0, 'a second claimer gets nothing');

select is(queue.fail((select id from lease), (select lease_token from lease), 'boom'), 'queued',
          'a first failure schedules a retry');
select ok((select run_at > now() from queue.jobs where id = (select id from lease)), 'the retry waits out a backoff');

update queue.jobs set run_at = now() where id = (select id from lease);
create temporary table lease2 on commit drop as select * from queue.claim('w1', 10, '60 seconds');
select is(queue.fail((select id from lease2), (select lease_token from lease2), 'boom again'), 'dead',
          'failing the last attempt dead-letters the job');
select is((select last_error from queue.jobs where id = (select id from lease2)), 'boom again',
          'the dead letter keeps the last error');

select queue.enqueue('sync');
create temporary table short_lease on commit drop as select * from queue.claim('w3', 10, '1 millisecond');
select pg_sleep(0.01);
select is(queue.reclaim_expired(), 1, 'an expired lease is reclaimed');
select is(queue.complete((select id from short_lease), (select lease_token from short_lease)), false,
          'the worker that lost its lease cannot complete the job');

select * from finish();
rollback;
