import { beforeAll, expect, it } from 'vitest';
import type { SqlQueryable } from '../../shared/db/sql.ts';
import { advanceSignal, linkSignalOrder, order, paperAccount, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

describeOnEachBackend('workflow triggers', (database) => {
  let owner: string;
  let accountId: number;
  let traderId: number;

  beforeAll(async () => {
    const { db } = database();
    owner = await createUser(db);
    accountId = await paperAccount(db, owner);
    traderId = await trader(db, owner, accountId);
  });

  const jobsFor = (db: SqlQueryable, signalId: number) =>
    db.query<{ kind: string }>(`select kind from queue.jobs where payload->>'signal_id' = $1 order by id`, [
      String(signalId),
    ]);

  it('enqueues analyse in the same transaction as a new signal, and nothing if it rolls back', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    expect(await jobsFor(db, id)).toEqual([{ kind: 'analyse' }]);
    let rolledBackId = 0;
    await expect(
      db.transaction(async (tx) => {
        rolledBackId = await signal(tx, owner, traderId);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await jobsFor(db, rolledBackId)).toEqual([]);
  });

  it('enqueues execute when a signal becomes ready', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready');
    expect(await jobsFor(db, id)).toEqual([{ kind: 'analyse' }, { kind: 'execute' }]);
  });

  it('enqueues protect when the entry order takes a fill, once while it waits', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await db.query('delete from queue.jobs');
    const entry = await order(db, owner, accountId, { amount: '1' });
    await linkSignalOrder(db, owner, id, entry, 'entry');
    await db.query(
      `update public.orders set status = 'partially_filled', filled_amount = 0.4 where id = $1`,
      [entry],
    );
    await db.query(`update public.orders set status = 'filled', filled_amount = 1 where id = $1`, [entry]);
    expect(await jobsFor(db, id)).toEqual([{ kind: 'protect' }]);
  });

  it('does not enqueue protect for fills of a protective order', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await db.query('delete from queue.jobs');
    const stop = await order(db, owner, accountId, { amount: '1', side: 'sell' });
    await linkSignalOrder(db, owner, id, stop, 'stop_loss');
    await db.query(`update public.orders set status = 'filled', filled_amount = 1 where id = $1`, [stop]);
    expect(await jobsFor(db, id)).toEqual([]);
  });
});
