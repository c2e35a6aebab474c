/**
 * A signal through the whole pipeline, handler by handler, on a real paper venue over seeded
 * candles with the deterministic analyst: new → analyzing → monitoring → ready → in_position →
 * closed, with stop-loss and take-profit as one OCO group and an exact final P&L.
 */
import { expect, it } from 'vitest';
import { dec } from '../../../shared/money/decimal.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { ordersOf, pipelineSetup, venueOrders } from './support.ts';

describeOnEachBackend('a signal through the pipeline', (database) => {
  it('goes from new to closed through the handlers, protected by one OCO group, with the exact P&L', async () => {
    const setup = await pipelineSetup(database().db);
    const id = await setup.signal();

    await setup.run('analyse', { signal_id: id });
    const [analysed] = await setup.db.query<Record<string, unknown>>(
      `select status, analysis_model, entry_price::text as entry, stop_loss::text as stop,
              take_profit::text as tp, confidence::text as confidence, analysis->>'action' as action
         from public.signals where id = $1`,
      [id],
    );
    expect(analysed).toMatchObject({
      status: 'monitoring',
      analysis_model: 'tradeflow-deterministic-v1',
      action: 'wait',
      entry: '104.24',
      stop: '103.78',
      tp: '105.16',
      confidence: '0.56',
    });

    await setup.run('monitor');
    expect(await setup.status(id)).toBe('ready');
    const snapshots = await setup.db.query<{ decision: string; price: string }>(
      'select decision, price::text as price from public.signal_monitoring_snapshots where signal_id = $1',
      [id],
    );
    expect(snapshots).toEqual([{ decision: 'ready', price: '104.24' }]);

    await setup.run('execute', { signal_id: id });
    expect(await setup.status(id)).toBe('in_position');

    await setup.run('protect', { signal_id: id });
    const legs = await ordersOf(setup.db, id);
    expect(legs.map((o) => [o.leg, o.type, o.status, o.emulated, o.oco_group])).toEqual([
      ['entry', 'market', 'filled', false, null],
      // Spot: the stop-loss is native; the take-profit is watched by the worker (see protect.ts).
      ['stop_loss', 'stop_loss', 'open', false, `signal:${id}`],
      ['take_profit', 'take_profit', 'open', true, `signal:${id}`],
    ]);
    const entry = legs[0]!;
    // 100 USDT at the 104.24 reference price = 0.95932 BTC; the 0.1 % fee is taken in BTC, so
    // 0.95836 of it can be sold (truncated to the 0.00001 step).
    expect(entry.filled_amount).toBe('0.95932');
    expect(legs[1]!.amount).toBe('0.95836');
    expect(legs[2]!.amount).toBe('0.95836');

    // The price rises through the take-profit: the worker fires it and cancels the stop.
    await setup.candle(80, ['104.24', '105.40', '104.20', '105.30']);
    setup.clock.now += 60_000;
    await setup.run('sync');

    const final = await ordersOf(setup.db, id);
    expect(final.map((o) => [o.leg, o.status])).toEqual([
      ['entry', 'filled'],
      ['stop_loss', 'cancelled'],
      ['take_profit', 'cancelled'],
      ['exit', 'filled'],
    ]);
    expect(await venueOrders(setup.db, id)).toHaveLength(3); // entry, stop-loss, exit: the take-profit was never sent
    const [closed] = await setup.db.query<{ status: string; realized_pnl: string; fees_paid: string }>(
      'select status, realized_pnl::text as realized_pnl, fees_paid::text as fees_paid from public.signals where id = $1',
      [id],
    );
    // The paper venue quotes one tick around the last close: bought 0.95932 at the ask 104.25
    // (100.00911 USDT, fee 0.00095932 BTC), sold 0.95836 at the bid 105.29 (100.9057244 USDT,
    // fee 0.1009057244 USDT). The 0.00000068 BTC of dust left behind keeps its cost at 104.25.
    const proceeds = dec('0.95836').mul('105.29');
    const cost = dec('0.95932').mul('104.25').minus(dec('0.00000068').mul('104.25'));
    const expected = proceeds.minus(proceeds.mul('0.001')).minus(cost);
    expect(expected.toFixed()).toBe('0.7957795656');
    expect(closed!.status).toBe('closed');
    expect(closed!.realized_pnl).toBe(expected.toFixed());
    expect(closed!.fees_paid).toBe('0.2009148344'); // 0.00095932 BTC at 104.25 + 0.1009057244 USDT
    // The trader's record counted the close in the same transaction.
    const [metrics] = await setup.db.query<Record<string, unknown>>(
      `select signals_closed, wins, losses, realized_pnl::text as pnl, fees_paid::text as fees
         from public.trader_metrics where trader_id = $1`,
      [setup.traderId],
    );
    expect(metrics).toEqual({
      signals_closed: 1,
      wins: 1,
      losses: 0,
      pnl: '0.7957795656',
      fees: '0.2009148344',
    });
    const events = await setup.db.query<{ to_status: string; actor: string }>(
      'select to_status, actor from public.signal_events where signal_id = $1 order by id',
      [id],
    );
    expect(events.map((e) => e.to_status)).toEqual([
      'new',
      'analyzing',
      'monitoring',
      'ready',
      'in_position',
      'closed',
    ]);
    expect(events.slice(1, 4).map((e) => e.actor)).toEqual([
      'worker:analyse',
      'worker:analyse',
      'worker:monitor',
    ]);
  });
});
