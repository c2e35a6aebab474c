import { describe, expect, it } from 'vitest';
import { Balances } from '../../../shared/exchange/matching/balances.ts';
import { MatchingEngine, type MatchingEngineOptions } from '../../../shared/exchange/matching/engine.ts';
import type { Candle, MarketSpec, NewOrder, Order } from '../../../shared/exchange/matching/types.ts';
import { paperMarketSpec } from '../../../shared/exchange/paper/markets.ts';
import { matchRestingOrder } from '../../../shared/exchange/paper/resting.ts';
import { dec } from '../../../shared/money/decimal.ts';

const MINUTE = 60_000;
const market: MarketSpec = paperMarketSpec('BTC/USDT', '100', { tickSize: '0.01', stepSize: '0.001' });

const bar = (minute: number, open: number, high: number, low: number, close: number): Candle => ({
  openTime: minute * MINUTE,
  open: dec(open),
  high: dec(high),
  low: dec(low),
  close: dec(close),
  volume: dec(10),
});

/** A path that dips to 95, recovers to 106, gaps down to 93, and closes at 100. */
const path = [
  bar(1, 100, 101, 98, 99),
  bar(2, 99, 99.5, 95, 96),
  bar(3, 96, 103, 95.5, 102),
  bar(4, 102, 106, 101, 105),
  bar(5, 94, 95, 93, 94),
  bar(6, 94, 101, 94, 100),
];

function snapshot(order: Order): Order {
  return { ...order, fills: [] };
}

function view(order: Order) {
  return {
    status: order.status,
    executed: order.executedQty.toFixed(),
    quote: order.cummulativeQuoteQty.toFixed(),
    locked: order.locked.toFixed(),
    working: order.workingTime !== undefined,
  };
}

const lines = (list: { asset: string; free: { toFixed(): string }; locked: { toFixed(): string } }[]) =>
  Object.fromEntries(list.map((l) => [l.asset, [l.free.toFixed(), l.locked.toFixed()]]));

/**
 * Places `request` in a real engine, then feeds the same candles to the engine and to the paper
 * venue's resting matcher (working on a copy of the order, as if loaded from the database), and
 * checks they agree after every candle.
 */
function agreeWithEngine(
  request: Omit<NewOrder, 'account' | 'symbol' | 'clientOrderId'>,
  options: MatchingEngineOptions,
) {
  const engine = new MatchingEngine(options);
  engine.listMarket(market);
  engine.openAccount('a', { USDT: '100000', BTC: '100' });
  engine.applyCandle('BTC/USDT', bar(0, 100, 100, 100, 100), 0);
  const placed = engine.placeOrder({ ...request, account: 'a', symbol: 'BTC/USDT', clientOrderId: 'x' }, 0);
  const copy = snapshot(placed);
  const balances = new Balances();
  const initial = engine.balanceLines('a');
  balances.open('a', Object.fromEntries(initial.map((l) => [l.asset, l.free.plus(l.locked)])));
  for (const l of initial) if (l.locked.gt(0)) balances.lock('a', l.asset, l.locked);
  const ctx = {
    market,
    fees: engine.fees,
    slippageBps: dec(options.slippageBps ?? 0),
    partialFillFraction:
      options.partialFillFraction === undefined ? undefined : dec(options.partialFillFraction),
    balances,
    nextTradeId: () => 0,
  };
  for (const candle of path) {
    const now = candle.openTime + MINUTE;
    engine.applyCandle('BTC/USDT', candle, now);
    matchRestingOrder(ctx, copy, candle, now);
    expect(view(copy), `after minute ${candle.openTime / MINUTE}`).toEqual(view(placed));
    expect(
      copy.fills.map((f) => [f.price.toFixed(), f.qty.toFixed(), f.commission.toFixed(), f.isMaker]),
    ).toEqual(
      placed.fills.map((f) => [f.price.toFixed(), f.qty.toFixed(), f.commission.toFixed(), f.isMaker]),
    );
    copy.fills = [...placed.fills];
    expect(lines(balances.list('a'))).toEqual(lines(engine.balanceLines('a')));
  }
  expect(placed.fills.length, 'the path fills every case').toBeGreaterThan(0);
}

describe('the paper venue matches resting orders exactly as the matching engine does', () => {
  const cases: [string, Omit<NewOrder, 'account' | 'symbol' | 'clientOrderId'>][] = [
    ['a limit buy', { side: 'BUY', type: 'LIMIT', quantity: dec(2), price: dec(96) }],
    ['a limit sell', { side: 'SELL', type: 'LIMIT', quantity: dec(2), price: dec(104) }],
    ['a stop-loss sell', { side: 'SELL', type: 'STOP_LOSS', quantity: dec(2), stopPrice: dec(97) }],
    [
      'a stop-loss sell gapped through',
      { side: 'SELL', type: 'STOP_LOSS', quantity: dec(2), stopPrice: dec(94.5) },
    ],
    [
      'a stop-loss-limit sell',
      { side: 'SELL', type: 'STOP_LOSS_LIMIT', quantity: dec(2), stopPrice: dec(97), price: dec(96.5) },
    ],
    ['a take-profit sell', { side: 'SELL', type: 'TAKE_PROFIT', quantity: dec(2), stopPrice: dec(105) }],
    [
      'a take-profit-limit sell',
      { side: 'SELL', type: 'TAKE_PROFIT_LIMIT', quantity: dec(2), stopPrice: dec(102), price: dec(103) },
    ],
    ['a stop buy', { side: 'BUY', type: 'STOP_LOSS', quantity: dec(2), stopPrice: dec(104) }],
  ];
  const settings: [string, MatchingEngineOptions][] = [
    ['default fees', {}],
    [
      'slippage and quote fees',
      { slippageBps: 25, fees: { mode: 'quote', maker: '0.0005', taker: '0.002' } },
    ],
    ['partial fills', { partialFillFraction: '0.3' }],
  ];
  for (const [name, request] of cases) {
    for (const [setting, options] of settings) {
      it(`${name}, with ${setting}`, () => agreeWithEngine(request, options));
    }
  }
});

describe('paper market filters', () => {
  it("follow Binance's grid when none are configured: six significant digits of price, the quote's minimum notional", () => {
    const spec = paperMarketSpec('ETH/USDT', '2345.67');
    expect([spec.tickSize.toFixed(), spec.stepSize.toFixed(), spec.minNotional.toFixed()]).toEqual([
      '0.01',
      '0.0001',
      '5',
    ]);
    expect(paperMarketSpec('XRP/ETH', '0.00141').tickSize.toFixed()).toBe('0.00000001');
  });

  it('refuses symbols that are not spot pairs', () => {
    expect(() => paperMarketSpec('BTC/USDT:USDT', '100')).toThrow(/not a spot symbol/);
  });
});
