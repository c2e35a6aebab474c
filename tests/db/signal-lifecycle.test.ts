import { beforeAll, expect, it } from 'vitest';
import { asUser } from '../../shared/db/sql.ts';
import { advanceSignal, paperAccount, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

describeOnEachBackend('signal lifecycle', (database) => {
  let owner: string;
  let traderId: number;

  beforeAll(async () => {
    const { db } = database();
    owner = await createUser(db);
    traderId = await trader(db, owner, await paperAccount(db, owner));
  });

  const events = (signalId: number) =>
    database().db.query<{
      from_status: string | null;
      to_status: string;
      actor: string;
      reason: string | null;
    }>(
      'select from_status, to_status, actor, reason from public.signal_events where signal_id = $1 order by id',
      [signalId],
    );

  it('walks new → analyzing → monitoring → ready → in_position → closed, auditing every step', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready', 'in_position', 'closed');
    const trail = await events(id);
    expect(trail.map((e) => [e.from_status, e.to_status])).toEqual([
      [null, 'new'],
      ['new', 'analyzing'],
      ['analyzing', 'monitoring'],
      ['monitoring', 'ready'],
      ['ready', 'in_position'],
      ['in_position', 'closed'],
    ]);
    const [closed] = await db.query<{ closed_at: Date | null }>(
      'select closed_at from public.signals where id = $1',
      [id],
    );
    expect(closed!.closed_at).toBeInstanceOf(Date);
  });

  it('refuses an illegal transition with a message naming both states, and records nothing', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await expect(advanceSignal(db, id, 'in_position')).rejects.toThrow(
      `signal ${id}: cannot go from new to in_position`,
    );
    await advanceSignal(db, id, 'cancelled');
    await expect(advanceSignal(db, id, 'ready')).rejects.toThrow(
      `signal ${id}: cannot go from cancelled to ready`,
    );
    expect((await events(id)).map((e) => e.to_status)).toEqual(['new', 'cancelled']);
  });

  it('lets every non-terminal stage exit to rejected, expired, cancelled or failed', async () => {
    const { db } = database();
    for (const path of [
      [],
      ['analyzing'],
      ['analyzing', 'monitoring'],
      ['analyzing', 'monitoring', 'ready'],
    ]) {
      for (const exit of ['rejected', 'expired', 'cancelled', 'failed']) {
        const id = await signal(db, owner, traderId);
        await advanceSignal(db, id, ...path, exit);
      }
    }
    const [count] = await db.query<{ n: number }>(
      `select count(*)::int as n from public.signals where owner = $1 and status in ('rejected', 'expired', 'cancelled', 'failed')`,
      [owner],
    );
    expect(count!.n).toBeGreaterThanOrEqual(16);
  });

  it('keeps an open position from being cancelled: in_position only closes', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready', 'in_position');
    await expect(advanceSignal(db, id, 'cancelled')).rejects.toThrow(
      'cannot go from in_position to cancelled',
    );
  });

  it('requires a new signal to start in status new', async () => {
    const { db } = database();
    await expect(
      db.query(
        `insert into public.signals (owner, trader_id, symbol, side, status) values ($1, $2, 'BTC/USDT', 'long', 'ready')`,
        [owner, traderId],
      ),
    ).rejects.toThrow('a new signal must start in status new, not ready');
  });

  it('records the actor, reason and context the worker gives', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    await db.transaction(async (tx) => {
      await tx.query(`select set_config('tradeflow.actor', 'worker:analyse', true),
                             set_config('tradeflow.context', '{"job_id": 42}', true)`);
      await tx.query(
        `update public.signals set status = 'analyzing', status_reason = 'analysis started' where id = $1`,
        [id],
      );
    });
    const [event] = await db.query<{ actor: string; reason: string; context: unknown }>(
      `select actor, reason, context from public.signal_events where signal_id = $1 and to_status = 'analyzing'`,
      [id],
    );
    expect(event).toEqual({ actor: 'worker:analyse', reason: 'analysis started', context: { job_id: 42 } });
  });

  it('lets a user cancel her signal, and nothing else', async () => {
    const { db } = database();
    const id = await asUser(db, owner, async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        `insert into public.signals (trader_id, symbol, side) values ($1, 'ETH/USDT', 'long') returning id`,
        [traderId],
      );
      return row!.id;
    });
    await expect(
      asUser(db, owner, (tx) =>
        tx.query(`update public.signals set status = 'analyzing' where id = $1`, [id]),
      ),
    ).rejects.toThrow('only the system can move a signal from new to analyzing; users may only cancel');
    await asUser(db, owner, (tx) =>
      tx.query(`update public.signals set status = 'cancelled' where id = $1`, [id]),
    );
    const trail = await events(id);
    expect(trail.map((e) => [e.to_status, e.actor])).toEqual([
      ['new', `user:${owner}`],
      ['cancelled', `user:${owner}`],
    ]);
  });

  it('sets an expiry from the trader’s signal time to live', async () => {
    const { db } = database();
    const id = await signal(db, owner, traderId);
    const [row] = await db.query<{ ttl_seconds: number }>(
      `select extract(epoch from expires_at - created_at)::int as ttl_seconds from public.signals where id = $1`,
      [id],
    );
    expect(row!.ttl_seconds).toBe(86_400);
  });
});
