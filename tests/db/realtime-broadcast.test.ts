import { beforeAll, expect, it } from 'vitest';
import { pruneRealtimeMessages } from '../../platform/scheduler.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { advanceSignal, order, paperAccount, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

/** What a subscriber joining `topic` as `userId` may receive, as the Realtime server checks it. */
const receivable = (db: SqlClient, userId: string, topic: string) =>
  db.transaction(async (tx) => {
    await tx.query(
      `select set_config('role', 'authenticated', true),
              set_config('request.jwt.claims', $1, true),
              set_config('realtime.topic', $2, true)`,
      [JSON.stringify({ sub: userId, role: 'authenticated' }), topic],
    );
    return tx.query<{
      event: string;
      payload: { table: string; op: string; record: { id: number; status: string } };
    }>('select event, payload from realtime.messages where topic = $1 order by id', [topic]);
  });

describeOnEachBackend('realtime broadcast', (database) => {
  let alice: string;
  let bob: string;
  let signalId: number;

  beforeAll(async () => {
    const { db } = database();
    alice = await createUser(db);
    bob = await createUser(db);
    const accountId = await paperAccount(db, alice);
    signalId = await signal(db, alice, await trader(db, alice, accountId));
    await advanceSignal(db, signalId, 'analyzing', 'monitoring');
    await order(db, alice, accountId, { clientOrderId: 'tf-rt-1' });
  });

  it("broadcasts every change of a signal and an order to the owner's private topic", async () => {
    const messages = await receivable(database().db, alice, `user:${alice}`);
    const signalChanges = messages.filter((m) => m.event === 'signal' && m.payload.record.id === signalId);
    expect(signalChanges.map((m) => [m.payload.op, m.payload.record.status])).toEqual([
      ['insert', 'new'],
      ['update', 'analyzing'],
      ['update', 'monitoring'],
    ]);
    expect(messages.some((m) => m.event === 'order' && m.payload.table === 'orders')).toBe(true);
  });

  it("lets another user join neither the owner's topic nor read its messages", async () => {
    expect(await receivable(database().db, bob, `user:${alice}`)).toEqual([]);
    expect(await receivable(database().db, bob, `user:${bob}`)).toEqual([]);
  });

  it('marks the broadcasts private', async () => {
    const rows = await database().db.query<{ private: boolean }>(
      'select distinct private from realtime.messages where topic = $1',
      [`user:${alice}`],
    );
    expect(rows).toEqual([{ private: true }]);
  });

  it('prunes delivered messages older than an hour on the local platform, and keeps recent ones', async () => {
    const { db } = database();
    await db.query(
      `update realtime.messages set inserted_at = now() - interval '2 hours' where event = 'order'`,
    );
    expect(await pruneRealtimeMessages(db, 60)).toBeGreaterThan(0);
    const rows = await db.query<{ event: string }>('select distinct event from realtime.messages');
    expect(rows).toEqual([{ event: 'signal' }]);
  });
});
