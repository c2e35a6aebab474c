/**
 * A cancel that races a send: one run has written an exit's pending row and is still sending
 * it, another run (an OCO settle) tries to cancel it. The order is not on the exchange *yet*,
 * so the canceller must leave it to placement and reconciliation — marking it failed would
 * hide the fill that arrives a moment later (found by the pipeline throughput benchmark).
 */
import { expect, it } from 'vitest';
import { PaperExchange } from '../../../shared/exchange/paper/index.ts';
import { placeOrder } from '../../../shared/exchange/placement.ts';
import { cancelOrderRow, signalOrders } from '../../../shared/pipeline/orders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { FILTERS, pipelineSetup, SYMBOL, signalInPosition } from './support.ts';

describeOnEachBackend('cancelling an order whose send may still be in flight', (database) => {
  it('leaves a pending exit alone, and the send that lands afterwards is recorded as filled', async () => {
    const { db } = database();
    const setup = await pipelineSetup(db);
    const signalId = await signalInPosition(setup);
    const venue = new PaperExchange({
      db,
      accountId: setup.accountId,
      clock: () => setup.clock.now,
      priceSource: setup.feed,
      markets: { [SYMBOL]: FILTERS },
    });
    const intent = {
      intentId: signalId,
      leg: 'exit' as const,
      attempt: 1,
      owner: setup.owner,
      accountId: setup.accountId,
      signalId,
      symbol: SYMBOL,
      side: 'sell' as const,
      type: 'market' as const,
      amount: '0.1',
    };
    // Run A writes the pending row, then "crashes" before its send reaches the venue.
    const crashingVenue = {
      ...venue,
      market: venue.market.bind(venue),
      ticker: venue.ticker.bind(venue),
      fetchOrder: venue.fetchOrder.bind(venue),
      createOrder: async () => {
        throw new Error('worker killed mid-send');
      },
    } as unknown as PaperExchange;
    await expect(placeOrder(db, crashingVenue, intent)).rejects.toThrow('worker killed mid-send');
    const exit = (await signalOrders(db, signalId)).find((row) => row.leg === 'exit')!;
    expect(exit.status).toBe('pending');

    // Run B, settling the OCO group, tries to cancel it: not on the exchange yet.
    expect(await cancelOrderRow(db, venue, exit, 'OCO: take_profit fired', 'worker:test')).toBe('pending');

    // Run A's send lands after all; placement resumes by client order id and records it.
    await venue.createOrder({
      clientOrderId: exit.client_order_id,
      symbol: SYMBOL,
      side: 'sell',
      type: 'market',
      amount: '0.1',
    });
    const resumed = await placeOrder(db, venue, intent);
    expect(resumed).toMatchObject({ outcome: 'found', status: 'filled' });
    const [row] = await db.query<{ status: string; filled_amount: string }>(
      'select status, filled_amount::text from public.orders where id = $1',
      [exit.id],
    );
    expect(row).toEqual({ status: 'filled', filled_amount: '0.1' });
  });
});
