import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderRejected } from '../../../shared/exchange/matching/rejections.ts';
import { freshDatabase, type TestDatabase } from '../../support/databases.ts';
import { balancesOf, cid, paperSetup } from './support.ts';

// Only a server shows this: several connections placing orders on one account at once.
describe('paper exchange under concurrent orders (postgres, 8 connections)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase('postgres', { pool: 8 });
  });
  afterAll(async () => {
    await database?.close();
  });

  it('never overspends: of 12 simultaneous buys worth 300 USDT each on 1000 USDT, exactly 3 fill', async () => {
    const setup = await paperSetup(database.db, { funding: { USDT: '1000' } });
    await setup.flat(0, '30000');
    // Separate instances, as separate worker invocations would have.
    const attempts = Array.from({ length: 12 }, () =>
      setup.restart().createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.01',
      }),
    );
    const results = await Promise.allSettled(attempts);
    const filled = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(filled).toHaveLength(3);
    for (const r of refused) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(OrderRejected);
      expect((r as PromiseRejectedResult).reason).toMatchObject({ reason: 'insufficient-balance' });
    }
    // 3 × 0.01 × 30000.01 = 900.0003 spent; 3 × 0.00999 BTC received
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.02997', '0'], USDT: ['99.9997', '0'] });
    expect(await setup.exchange.myTrades('BTC/USDT')).toHaveLength(3);
  });

  it('never holds more than the balance: simultaneous limit orders lock at most what is free', async () => {
    const setup = await paperSetup(database.db, { funding: { USDT: '1000' } });
    await setup.flat(0, '30000');
    const attempts = Array.from({ length: 10 }, () =>
      setup.restart().createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        amount: '0.01',
        price: '25000',
      }),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['0', '1000'] });
    expect(await setup.exchange.openOrders()).toHaveLength(4);
  });

  it('does not deadlock when orders, cancels and syncs of one account run at once', async () => {
    const setup = await paperSetup(database.db, { funding: { USDT: '5000', BTC: '1' } });
    await setup.flat(0, '30000');
    const resting = await Promise.all(
      Array.from({ length: 4 }, () =>
        setup.exchange.createOrder({
          clientOrderId: cid(),
          symbol: 'BTC/USDT',
          side: 'sell',
          type: 'limit',
          amount: '0.1',
          price: '31000',
        }),
      ),
    );
    await setup.candle(1, ['30000', '31500', '29900', '31000']);
    const work = [
      ...resting.map((o) => setup.restart().cancelOrder('BTC/USDT', { exchangeOrderId: o.exchangeOrderId })),
      setup.restart().advance(setup.clock.now + 120_000),
      setup.restart().createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.01',
      }),
    ];
    await Promise.allSettled(work);
    // Every resting order ended exactly one way: filled by the candle (the sync, or the advance
    // inside a cancel, got there first) — a crossed order can no longer be cancelled.
    const orders = await Promise.all(
      resting.map((o) => setup.exchange.fetchOrder('BTC/USDT', { exchangeOrderId: o.exchangeOrderId })),
    );
    expect(orders.map((o) => o?.status)).toEqual(['filled', 'filled', 'filled', 'filled']);
    const balances = await balancesOf(setup.exchange);
    // 1 − 0.4 sold + 0.01 × 0.999 bought
    expect(balances['BTC']).toEqual(['0.60999', '0']);
  });
});
