/**
 * protect and the emulated legs: protection is placed once whatever the re-runs; an emulated
 * stop fires once, cancels its sibling, and the signal closes.
 */
import { expect, it } from 'vitest';
import { describeOnEachBackend } from '../../support/databases.ts';
import { ordersOf, pipelineSetup, signalInPosition, venueOrders, withoutNativeStops } from './support.ts';

describeOnEachBackend('protect', (database) => {
  it('places one stop-loss and one take-profit however often it runs', async () => {
    const setup = await pipelineSetup(database().db);
    const id = await signalInPosition(setup);
    await setup.run('protect', { signal_id: id });
    await setup.run('protect', { signal_id: id });
    const legs = await ordersOf(setup.db, id);
    expect(legs.map((o) => [o.leg, o.attempt, o.status, o.stop_price])).toEqual([
      ['entry', 1, 'filled', null],
      ['stop_loss', 1, 'open', '103.5'],
      ['take_profit', 1, 'open', '105.5'],
    ]);
    expect(new Set(legs.slice(1).map((o) => o.oco_group))).toEqual(new Set([`signal:${id}`]));
    expect((await venueOrders(setup.db, id)).map((o) => o.client_order_id)).toEqual([
      `tf-${id}-e-1`,
      `tf-${id}-sl-1`,
    ]);
  });

  it('fires an emulated stop-loss once when the price crosses it, cancels the take-profit, and closes the signal', async () => {
    const setup = await pipelineSetup(database().db, { wrap: withoutNativeStops });
    const id = await signalInPosition(setup);
    await setup.run('protect', { signal_id: id });
    expect((await ordersOf(setup.db, id)).filter((o) => o.leg !== 'entry').every((o) => o.emulated)).toBe(
      true,
    );
    expect(await venueOrders(setup.db, id)).toHaveLength(1); // only the entry: emulated legs are never sent

    // Above the stop: nothing fires.
    await setup.candle(80, ['104.24', '104.40', '103.60', '103.90']);
    setup.clock.now += 60_000;
    await setup.run('sync');
    expect((await ordersOf(setup.db, id)).map((o) => o.leg)).not.toContain('exit');

    await setup.candle(81, ['103.90', '103.95', '103.10', '103.20']);
    setup.clock.now += 60_000;
    await setup.run('sync');
    await setup.run('sync');
    await setup.run('risk');

    const legs = await ordersOf(setup.db, id);
    expect(legs.map((o) => [o.leg, o.attempt, o.status])).toEqual([
      ['entry', 1, 'filled'],
      ['stop_loss', 1, 'cancelled'],
      ['take_profit', 1, 'cancelled'],
      ['exit', 1, 'filled'],
    ]);
    const exits = (await venueOrders(setup.db, id)).filter((o) => o.client_order_id.includes('-x-'));
    expect(exits).toHaveLength(1);
    expect(await setup.status(id)).toBe('closed');
  });
});
