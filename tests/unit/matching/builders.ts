/** Small builders for matching-engine tests: one BTC/USDT market around a price of 100. */
import { MatchingEngine, type MatchingEngineOptions } from '../../../shared/exchange/matching/engine.ts';
import type { Candle, MarketSpec, NewOrder } from '../../../shared/exchange/matching/types.ts';
import { type DecimalLike, dec } from '../../../shared/money/decimal.ts';

export const MINUTE = 60_000;

export const btcusdt: MarketSpec = {
  symbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: dec('0.01'),
  minPrice: dec('0.01'),
  maxPrice: dec('1000000'),
  stepSize: dec('0.001'),
  minQty: dec('0.001'),
  maxQty: dec('1000'),
  minNotional: dec('5'),
};

/** A candle; `candle(1, 100, 105, 95, 101)` is the second minute, open 100, high 105, low 95, close 101. */
export function candle(
  minute: number,
  open: DecimalLike,
  high: DecimalLike,
  low: DecimalLike,
  close: DecimalLike,
): Candle {
  return {
    openTime: minute * MINUTE,
    open: dec(open),
    high: dec(high),
    low: dec(low),
    close: dec(close),
    volume: dec(10),
  };
}

/** An engine trading BTCUSDT at a last price of 100 (bid 99.99, ask 100.01), with alice funded. */
export function engineAt100(
  options: MatchingEngineOptions = {},
  balances: Record<string, DecimalLike> = { USDT: '10000', BTC: '1' },
): MatchingEngine {
  const engine = new MatchingEngine(options);
  engine.listMarket(btcusdt);
  engine.applyCandle('BTCUSDT', candle(0, 100, 100, 100, 100), MINUTE);
  engine.openAccount('alice', balances);
  return engine;
}

let ids = 0;

/** An order for alice on BTCUSDT; amounts as strings. */
export function order(
  side: NewOrder['side'],
  type: NewOrder['type'],
  fields: {
    quantity?: string;
    price?: string;
    stopPrice?: string;
    quoteOrderQty?: string;
    timeInForce?: NewOrder['timeInForce'];
    clientOrderId?: string;
  } = {},
): NewOrder {
  return {
    account: 'alice',
    symbol: 'BTCUSDT',
    side,
    type,
    quantity: fields.quantity === undefined ? undefined : dec(fields.quantity),
    price: fields.price === undefined ? undefined : dec(fields.price),
    stopPrice: fields.stopPrice === undefined ? undefined : dec(fields.stopPrice),
    quoteOrderQty: fields.quoteOrderQty === undefined ? undefined : dec(fields.quoteOrderQty),
    timeInForce: fields.timeInForce,
    clientOrderId: fields.clientOrderId ?? `test-${++ids}`,
  };
}

/** Alice's balance of `asset` as `{ free, locked }` strings. */
export function balanceOf(engine: MatchingEngine, asset: string): { free: string; locked: string } {
  const line = engine.balanceLines('alice').find((b) => b.asset === asset);
  return { free: line?.free.toFixed() ?? '0', locked: line?.locked.toFixed() ?? '0' };
}
