/**
 * The cron sync over many accounts: it reconciles the first few itself and hands each of the
 * others to its own `sync {account_id}` job, so that no single invocation walks every account
 * (shared/pipeline/sync.ts).
 */
import { expect, it } from 'vitest';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { type PipelineSetup, pipelineSetup } from './support.ts';

/** A protected long whose market then rises through its take-profit (not yet seen by any sync). */
async function protectedLongPastItsTakeProfit(setup: PipelineSetup): Promise<number> {
  const id = await setup.signal();
  await setup.run('analyse', { signal_id: id });
  await setup.run('monitor');
  await setup.run('execute', { signal_id: id });
  await setup.run('protect', { signal_id: id });
  expect(await setup.status(id)).toBe('in_position');
  await setup.candle(80, ['104.24', '105.40', '104.20', '105.30']);
  setup.clock.now += 60_000;
  return id;
}

describeOnEachBackend('the cron sync over many accounts', (database) => {
  it('reconciles the first accounts itself and fans the others out, one deduplicated job per account', async () => {
    const { db } = database();
    const setups = [];
    for (let i = 0; i < 3; i++) {
      setups.push(await pipelineSetup(db, { deps: { settings: { syncInlineAccounts: 1 } } }));
    }
    const signals = [];
    for (const setup of setups) signals.push(await protectedLongPastItsTakeProfit(setup));
    const [sweeper] = setups;

    await sweeper!.run('sync');

    const others = setups.slice(1).map((setup) => setup.accountId);
    expect(await queuedSyncJobs(db)).toEqual(
      others.map((accountId) => ({ account_id: accountId, dedupe_key: `sync:account:${accountId}` })),
    );
    // The inline account closed on its own feed's take-profit; the others wait for their job.
    expect(await sweeper!.status(signals[0]!)).toBe('closed');
    for (let i = 1; i < 3; i++) expect(await setups[i]!.status(signals[i]!)).toBe('in_position');

    // The next sweep reconciles the next account itself and adds no second job for the last one.
    await sweeper!.run('sync');
    expect(await setups[1]!.status(signals[1]!)).toBe('closed');
    expect((await queuedSyncJobs(db)).filter((job) => job.account_id === others[1])).toHaveLength(1);

    await setups[2]!.run('sync', { account_id: setups[2]!.accountId });
    expect(await setups[2]!.status(signals[2]!)).toBe('closed');
  });
});

async function queuedSyncJobs(db: SqlClient) {
  return db.query<{ account_id: number; dedupe_key: string }>(
    `select (payload->>'account_id')::bigint as account_id, dedupe_key from queue.jobs
      where kind = 'sync' and status = 'queued' order by id`,
  );
}
