import { expect, it } from 'vitest';
import type { SqlClient, SqlQueryable } from '../../../shared/db/sql.ts';
import { asUser } from '../../../shared/db/sql.ts';
import { OrderRejected } from '../../../shared/exchange/matching/rejections.ts';
import { advancePaperAccounts, fundPaperAccount } from '../../../shared/exchange/paper/index.ts';
import { liveAccount } from '../../support/builders.ts';
import { createUser, describeOnEachBackend } from '../../support/databases.ts';
import { at, balancesOf, cid, paperSetup } from './support.ts';

/** A client whose transactions fail at the first statement matching `pattern` (a crash mid-operation). */
function crashingAt(db: SqlClient, pattern: RegExp): SqlClient {
  const wrap = (tx: SqlQueryable): SqlQueryable => ({
    query: (text, params) => {
      if (pattern.test(text)) return Promise.reject(new Error('connection lost'));
      return tx.query(text, params);
    },
    exec: (script) => tx.exec(script),
  });
  return { ...db, transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) };
}

describeOnEachBackend('paper exchange', (database) => {
  it('fills a market buy at the ask plus slippage and takes the fee in base; a sell pays the fee in quote', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { slippageBps: 10 });
    await setup.flat(0, '30000');

    // ask = 30000 + 1 tick = 30000.01; × 1.001 = 30030.01001, rounded up to the tick: 30030.02
    const buy = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.1',
    });
    expect(buy).toMatchObject({
      status: 'filled',
      filled: '0.1',
      averagePrice: '30030.02',
      fee: { cost: '0.0001', currency: 'BTC' },
    });
    // 10000 − 0.1 × 30030.02 = 6996.998 USDT; 0.1 − 0.1 % = 0.0999 BTC
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['6996.998', '0'] });

    // bid = 29999.99; × 0.999 = 29969.99001, rounded down: 29969.99; proceeds 1498.4995 − 0.1 % fee
    const sell = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'market',
      amount: '0.05',
    });
    expect(sell).toMatchObject({
      status: 'filled',
      averagePrice: '29969.99',
      fee: { cost: '1.4984995', currency: 'USDT' },
    });
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0499', '0'], USDT: ['8493.9990005', '0'] });

    const trades = await setup.exchange.myTrades('BTC/USDT');
    expect(trades.map((t) => [t.side, t.price, t.amount, t.fee?.cost, t.fee?.currency, t.liquidity])).toEqual(
      [
        ['buy', '30030.02', '0.1', '0.0001', 'BTC', 'taker'],
        ['sell', '29969.99', '0.05', '1.4984995', 'USDT', 'taker'],
      ],
    );
  });

  it('charges the fee in quote on both sides when the venue settles fees in quote', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { fees: { mode: 'quote' } });
    await setup.flat(0, '30000');
    const order = { symbol: 'BTC/USDT', type: 'market' as const, amount: '0.1' };
    const buy = await setup.exchange.createOrder({ ...order, clientOrderId: cid(), side: 'buy' });
    expect(buy.fee).toEqual({ cost: '3.000001', currency: 'USDT' });
    // 10000 − 3000.001 − 3.000001
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.1', '0'], USDT: ['6996.998999', '0'] });
    await setup.exchange.createOrder({ ...order, clientOrderId: cid(), side: 'sell' });
    // + 2999.999 − 2.999999
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['9993.998', '0'] });
  });

  it('rests a limit buy, holding its quote, and fills it as maker when a new candle crosses its price', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    const limit = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.1',
      price: '29500',
    });
    expect(limit).toMatchObject({ status: 'open', filled: '0', price: '29500' });
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['7050', '2950'] });

    expect(await setup.exchange.advance(at(1))).toEqual([]);
    await setup.candle(1, ['30000', '30100', '29600', '29900']);
    expect(await setup.exchange.advance(at(2))).toEqual([]);
    expect((await setup.exchange.openOrders('BTC/USDT')).map((o) => o.exchangeOrderId)).toEqual([
      limit.exchangeOrderId,
    ]);

    await setup.candle(2, ['29900', '29950', '29400', '29450']);
    const changed = await setup.exchange.advance(at(3));
    expect(changed).toMatchObject([
      { exchangeOrderId: limit.exchangeOrderId, status: 'filled', averagePrice: '29500' },
    ]);
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['7050', '0'] });
    const [trade] = await setup.exchange.myTrades('BTC/USDT');
    expect(trade).toMatchObject({ price: '29500', liquidity: 'maker', timestamp: at(3) });

    // Running the sync again applies no candle twice.
    expect(await setup.exchange.advance(at(4))).toEqual([]);
    expect(await setup.exchange.myTrades('BTC/USDT')).toHaveLength(1);
  });

  it('matches every candle that arrived since the last sync, not only the newest', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.1',
      price: '29500',
    });
    await setup.candle(1, ['30000', '30000', '29400', '29900']); // crosses
    await setup.flat(2, '30500'); // newest candle is far above the limit
    expect(await setup.exchange.advance(at(3))).toMatchObject([{ status: 'filled' }]);
  });

  it('triggers a stop-loss when the price falls to its stop and sells at the stop (at the open after a gap)', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { funding: { BTC: '1' } });
    await setup.flat(0, '30000');
    const stop = { symbol: 'BTC/USDT', side: 'sell' as const, type: 'stop_loss' as const, amount: '0.5' };
    const first = await setup.exchange.createOrder({ ...stop, clientOrderId: cid(), stopPrice: '29000' });
    expect(first).toMatchObject({ status: 'open', stopPrice: '29000' });
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.5', '0.5'] });

    await setup.candle(1, ['29800', '29900', '28900', '29000']);
    expect(await setup.exchange.advance(at(2))).toMatchObject([{ status: 'filled', averagePrice: '29000' }]);
    // 0.5 × 29000 = 14500, fee 14.5 USDT
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.5', '0'], USDT: ['14485.5', '0'] });

    await setup.exchange.createOrder({ ...stop, clientOrderId: cid(), stopPrice: '28000' });
    await setup.candle(2, ['27500', '27600', '27000', '27200']); // gaps through the stop
    expect(await setup.exchange.advance(at(3))).toMatchObject([{ status: 'filled', averagePrice: '27500' }]);
    // + 0.5 × 27500 − 0.1 % = 13736.25
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['28221.75', '0'] });
  });

  it('triggers a take-profit when the price rises to its stop', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { funding: { BTC: '1' } });
    await setup.flat(0, '30000');
    await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'take_profit',
      amount: '0.5',
      stopPrice: '31000',
    });
    await setup.candle(1, ['30000', '30900', '29900', '30800']);
    expect(await setup.exchange.advance(at(2))).toEqual([]);
    await setup.candle(2, ['30800', '31200', '30700', '31100']);
    expect(await setup.exchange.advance(at(3))).toMatchObject([{ status: 'filled', averagePrice: '31000' }]);
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.5', '0'], USDT: ['15484.5', '0'] });
  });

  it('refuses a stop whose trigger is already met, and changes nothing', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { funding: { BTC: '1' } });
    await setup.flat(0, '30000');
    const attempt = setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'stop_loss',
      amount: '0.5',
      stopPrice: '30500',
    });
    await expect(attempt).rejects.toMatchObject({ reason: 'would-trigger-immediately' });
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['1', '0'] });
  });

  it('fills a limit order in parts with a partial-fill fraction, releasing what each part no longer needs', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { partialFillFraction: '0.25', funding: { USDT: '20000' } });
    await setup.flat(0, '30000');
    const order = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.4',
      price: '29500',
    });
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['8200', '11800'] });

    await setup.candle(1, ['29600', '29600', '29400', '29500']);
    expect(await setup.exchange.advance(at(2))).toMatchObject([
      { status: 'partially_filled', filled: '0.1' },
    ]);
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['8200', '8850'] });

    await setup.candle(2, ['29600', '29600', '29400', '29500']);
    await setup.exchange.advance(at(3));
    const cancelled = await setup.exchange.cancelOrder('BTC/USDT', {
      exchangeOrderId: order.exchangeOrderId,
    });
    expect(cancelled).toMatchObject({ status: 'cancelled', filled: '0.2' });
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.1998', '0'], USDT: ['14100', '0'] });
    expect(await setup.exchange.myTrades('BTC/USDT')).toHaveLength(2);
  });

  it('refuses an order the balance cannot pay for, and changes nothing', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { funding: { USDT: '100' } });
    await setup.flat(0, '30000');
    const clientOrderId = cid();
    for (const type of ['market', 'limit'] as const) {
      const attempt = setup.exchange.createOrder({
        clientOrderId,
        symbol: 'BTC/USDT',
        side: 'buy',
        type,
        amount: '0.1',
        ...(type === 'limit' ? { price: '29000' } : {}),
      });
      await expect(attempt).rejects.toBeInstanceOf(OrderRejected);
      await expect(attempt).rejects.toMatchObject({ reason: 'insufficient-balance' });
    }
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['100', '0'] });
    expect(await setup.exchange.openOrders()).toEqual([]);
    expect(await setup.exchange.fetchOrder('BTC/USDT', { clientOrderId })).toBeNull();
    expect(await setup.exchange.myTrades('BTC/USDT')).toEqual([]);
  });

  it('refuses a second order with the same client order id; the retry finds the first by that id, charged once', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    const request = {
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy' as const,
      type: 'market' as const,
      amount: '0.1',
    };
    const first = await setup.exchange.createOrder(request);
    // The caller saw a timeout and retries blindly: the venue refuses, nothing is spent twice.
    await expect(setup.exchange.createOrder(request)).rejects.toMatchObject({
      reason: 'duplicate-client-order-id',
    });
    expect(await setup.exchange.fetchOrder('BTC/USDT', { clientOrderId: request.clientOrderId })).toEqual(
      first,
    );
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['6999.999', '0'] });
  });

  it('leaves no trace of a placement that crashed before it committed, and the retry places it once', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    const request = {
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy' as const,
      type: 'market' as const,
      amount: '0.1',
    };
    const crashing = setup.restart();
    (crashing as unknown as { db: SqlClient }).db = crashingAt(db, /update public\.paper_balances/);
    await expect(crashing.createOrder(request)).rejects.toThrow('connection lost');
    expect(await setup.exchange.fetchOrder('BTC/USDT', { clientOrderId: request.clientOrderId })).toBeNull();
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['10000', '0'] });

    await expect(setup.exchange.createOrder(request)).resolves.toMatchObject({ status: 'filled' });
    expect(await setup.exchange.myTrades('BTC/USDT')).toHaveLength(1);
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['6999.999', '0'] });
  });

  it('applies a candle to a resting order exactly once when the sync crashes halfway and runs again', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'limit',
      amount: '0.1',
      price: '29500',
    });
    await setup.candle(1, ['29600', '29600', '29400', '29500']);
    const crashing = setup.restart();
    (crashing as unknown as { db: SqlClient }).db = crashingAt(db, /update public\.paper_balances/);
    await expect(crashing.advance(at(2))).rejects.toThrow('connection lost');
    expect(await balancesOf(setup.exchange)).toEqual({ USDT: ['7050', '2950'] });
    expect(await setup.exchange.openOrders()).toMatchObject([{ status: 'open' }]);

    expect(await setup.exchange.advance(at(2))).toMatchObject([{ status: 'filled' }]);
    expect(await setup.exchange.advance(at(3))).toEqual([]);
    expect(await setup.exchange.myTrades('BTC/USDT')).toHaveLength(1);
    expect(await balancesOf(setup.exchange)).toEqual({ BTC: ['0.0999', '0'], USDT: ['7050', '0'] });
  });

  it('keeps balances, open orders and fills across a restart, and the new instance matches the old orders', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.1',
    });
    const resting = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'sell',
      type: 'limit',
      amount: '0.05',
      price: '31000',
    });
    const before = {
      balances: await balancesOf(setup.exchange),
      open: await setup.exchange.openOrders(),
      trades: await setup.exchange.myTrades('BTC/USDT'),
    };

    const restarted = setup.restart();
    expect(await balancesOf(restarted)).toEqual(before.balances);
    expect(await restarted.openOrders()).toEqual(before.open);
    expect(await restarted.myTrades('BTC/USDT')).toEqual(before.trades);
    expect(await restarted.fetchOrder('BTC/USDT', { exchangeOrderId: resting.exchangeOrderId })).toEqual(
      resting,
    );

    await setup.candle(1, ['30000', '31500', '29900', '31200']);
    expect(await restarted.advance(at(2))).toMatchObject([{ status: 'filled', averagePrice: '31000' }]);
    // 0.0999 − 0.05 BTC; 6999.999 + 1550 − 1.55 USDT
    expect(await balancesOf(restarted)).toEqual({ BTC: ['0.0499', '0'], USDT: ['8548.449', '0'] });
  });

  it('prices from public.candles: the newest candle of the feed is the market price', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    expect(await setup.exchange.ticker('BTC/USDT')).toEqual({
      symbol: 'BTC/USDT',
      last: '30000',
      bid: '29999.99',
      ask: '30000.01',
      timestamp: at(1),
    });
    await setup.flat(1, '31000');
    const buy = await setup.exchange.createOrder({
      clientOrderId: cid(),
      symbol: 'BTC/USDT',
      side: 'buy',
      type: 'market',
      amount: '0.01',
    });
    expect(buy.averagePrice).toBe('31000.01');
    expect(await setup.exchange.market('BTC/USDT')).toMatchObject({
      base: 'BTC',
      quote: 'USDT',
      amountStep: '0.00001',
      priceTick: '0.01',
      minNotional: '5',
      nativeStopLoss: true,
      reduceOnly: false,
      // the venue's default fee, taken from the base asset on a buy (what the risk engine sizes for)
      fees: { maker: '0.001', taker: '0.001', buyFeeAsset: 'base' },
    });
    expect(
      (await setup.restart({ fees: { taker: '0.002', mode: 'quote' } }).market('BTC/USDT')).fees,
    ).toEqual({
      maker: '0.001',
      taker: '0.002',
      buyFeeAsset: 'quote',
    });
    expect((await setup.exchange.ohlcv('BTC/USDT', '1m')).map((c) => [c.ts, c.close])).toEqual([
      [at(0), '30000'],
      [at(1), '31000'],
    ]);
  });

  it('refuses a market it has no candles for, and orders below the minimum notional', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    await setup.flat(0, '30000');
    await expect(
      setup.exchange.createOrder({
        clientOrderId: cid(),
        symbol: 'ETH/USDT',
        side: 'buy',
        type: 'market',
        amount: '1',
      }),
    ).rejects.toMatchObject({ reason: 'unknown-symbol' });
    await expect(
      setup.exchange.createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.0001',
      }),
    ).rejects.toMatchObject({ reason: 'filter', filter: 'NOTIONAL' });
  });

  it('refuses orders on a stale price when a maximum price age is set', async () => {
    const { db } = database();
    const setup = await paperSetup(db, { maxPriceAgeMs: 5 * 60_000 });
    await setup.flat(0, '30000');
    setup.clock.now = at(10);
    await expect(
      setup.exchange.createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.01',
      }),
    ).rejects.toMatchObject({ reason: 'no-market-price' });
  });

  it('matches the resting orders of every paper account in one sync', async () => {
    const { db } = database();
    const a = await paperSetup(db);
    await a.flat(0, '30000');
    const b = await paperSetup(db, { priceSource: a.feed });
    for (const setup of [a, b]) {
      await setup.exchange.createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'limit',
        amount: '0.1',
        price: '29500',
      });
    }
    await a.candle(1, ['29600', '29600', '29400', '29500']);
    const changed = await advancePaperAccounts(
      db,
      { priceSource: a.feed, markets: { 'BTC/USDT': {} } },
      at(2),
    );
    expect(changed.get(a.accountId)).toMatchObject([{ status: 'filled' }]);
    expect(changed.get(b.accountId)).toMatchObject([{ status: 'filled' }]);
  });

  it('serves paper accounts only: a live account can be neither funded nor traded', async () => {
    const { db } = database();
    const owner = await createUser(db);
    const live = await liveAccount(db, owner);
    await expect(fundPaperAccount(db, live)).rejects.toThrow(/paper accounts only/);
    const setup = await paperSetup(db);
    const wrong = setup.restart();
    (wrong as unknown as { accountId: number }).accountId = live;
    await expect(wrong.balance()).resolves.toEqual([]);
    await expect(
      wrong.createOrder({
        clientOrderId: cid(),
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.01',
      }),
    ).rejects.toThrow(/not a paper account/);
  });

  it('lets owners read their own paper balances only, and write none', async () => {
    const { db } = database();
    const setup = await paperSetup(db);
    const other = await createUser(db);
    const own = await asUser(db, setup.owner, (tx) =>
      tx.query<{ asset: string; free: string }>(
        'select asset, free::text as free from public.paper_balances',
      ),
    );
    expect(own).toEqual([{ asset: 'USDT', free: '10000' }]);
    expect(await asUser(db, other, (tx) => tx.query('select * from public.paper_balances'))).toEqual([]);
    await expect(
      asUser(db, setup.owner, (tx) => tx.query(`update public.paper_balances set free = 1000000`)),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(db, setup.owner, (tx) => tx.query('select * from internal.paper_orders')),
    ).rejects.toThrow(/permission denied/);
    await expect(
      asUser(db, setup.owner, (tx) =>
        tx.query(`select public.fund_paper_account($1::bigint)`, [setup.accountId]),
      ),
    ).rejects.toThrow(/permission denied/);
  });
});
