/** emergency_stop: every open order cancelled, every position closed at market; a second run does nothing. */
import { expect, it } from 'vitest';
import { describeOnEachBackend } from '../../support/databases.ts';
import { ordersOf, pipelineSetup, signalInPosition, venueOrders } from './support.ts';

describeOnEachBackend('emergency stop', (database) => {
  it('cancels the open orders, closes the position at market, and is idempotent', async () => {
    const setup = await pipelineSetup(database().db);
    const id = await signalInPosition(setup);
    await setup.run('protect', { signal_id: id });

    await setup.run('emergency_stop', { owner: setup.owner });
    const after = await ordersOf(setup.db, id);
    expect(after.map((o) => [o.leg, o.status])).toEqual([
      ['entry', 'filled'],
      ['stop_loss', 'cancelled'],
      ['take_profit', 'cancelled'],
      ['exit', 'filled'],
    ]);
    const [position] = await setup.db.query<{ status: string }>(
      'select status from public.positions where account_id = $1',
      [setup.accountId],
    );
    expect(position!.status).toBe('closed');
    expect(await setup.status(id)).toBe('closed');
    const events = await setup.db.query<{ actor: string }>(
      `select distinct e.actor from public.order_events e where e.order_id = any($1::bigint[]) and e.actor = 'worker:emergency_stop'`,
      [after.map((o) => o.id)],
    );
    expect(events).toHaveLength(1);

    await setup.run('emergency_stop', { owner: setup.owner });
    expect(await ordersOf(setup.db, id)).toHaveLength(4);
    expect(await venueOrders(setup.db, id)).toHaveLength(3);
    const alerts = await setup.db.query<{ kind: string }>(
      'select kind from public.alerts where owner = $1 and kind like $2',
      [setup.owner, 'emergency_stop%'],
    );
    expect(alerts).toEqual([{ kind: 'emergency_stop_done' }]);
  });
});
