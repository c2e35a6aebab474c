/**
 * protect and the emulated legs: protection is placed once whatever the re-runs; an emulated
 * stop fires once, cancels its sibling, and the signal closes.
 */
import ccxt from 'ccxt';
import { expect, it } from 'vitest';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { RetryLater } from '../../../shared/worker/drain.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  ordersOf,
  pipelineSetup,
  signalInPosition,
  venueOrders,
  withOverrides,
  withoutNativeStops,
} from './support.ts';

/**
 * A venue whose first stop-loss send times out (ccxt's RequestTimeout: the outcome is unknown),
 * after the venue took the order or before it ever reached it.
 */
function firstStopTimesOut(reachesVenue: boolean) {
  let timedOut = false;
  return (exchange: Exchange): Exchange =>
    withOverrides(exchange, {
      createOrder: async (request) => {
        if (timedOut || request.type !== 'stop_loss') return exchange.createOrder(request);
        timedOut = true;
        if (reachesVenue) await exchange.createOrder(request);
        throw new ccxt.RequestTimeout('binance POST https://api.binance.com/api/v3/order request timed out');
      },
    });
}

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

  for (const reachesVenue of [false, true]) {
    it(`comes back until the stop-loss is known to be on the exchange when its send timed out (${reachesVenue ? 'the venue took it' : 'it never arrived'})`, async () => {
      const setup = await pipelineSetup(database().db, {
        wrap: firstStopTimesOut(reachesVenue),
        deps: { placement: { inFlightMs: 0 } },
      });
      const id = await signalInPosition(setup);

      if (reachesVenue) {
        // Looked up by client order id right after the timeout: found, so protect is done.
        await setup.run('protect', { signal_id: id });
      } else {
        // Not on the exchange, and the send may still arrive: protect is not done, the queue brings it back.
        await expect(setup.run('protect', { signal_id: id })).rejects.toBeInstanceOf(RetryLater);
        const unsure = await ordersOf(setup.db, id);
        expect(unsure.find((o) => o.leg === 'stop_loss')?.status).toBe('unknown');
        await setup.run('protect', { signal_id: id }, 2);
      }
      const legs = await ordersOf(setup.db, id);
      expect(legs.map((o) => [o.leg, o.attempt, o.status])).toEqual([
        ['entry', 1, 'filled'],
        ['stop_loss', 1, 'open'],
        ['take_profit', 1, 'open'],
      ]);
      // Exactly one stop on the exchange, under the attempt's one client order id.
      expect((await venueOrders(setup.db, id)).map((o) => [o.client_order_id, o.status])).toEqual([
        [`tf-${id}-e-1`, 'filled'],
        [`tf-${id}-sl-1`, 'open'],
      ]);
    });
  }
});
