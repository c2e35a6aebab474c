/**
 * Vocabulary of the matching engine: markets, candles, orders, fills.
 *
 * The names of sides, order types, statuses and times-in-force follow Binance spot, because the
 * engine exists to reproduce what a Binance-like venue does with an order; an adapter for another
 * venue maps its own words onto these.
 */
import type { Dec } from '../../money/decimal.ts';

export type Side = 'BUY' | 'SELL';

export type OrderType =
  | 'MARKET'
  | 'LIMIT'
  | 'LIMIT_MAKER'
  | 'STOP_LOSS'
  | 'STOP_LOSS_LIMIT'
  | 'TAKE_PROFIT'
  | 'TAKE_PROFIT_LIMIT';

export const ORDER_TYPES: readonly OrderType[] = [
  'MARKET',
  'LIMIT',
  'LIMIT_MAKER',
  'STOP_LOSS',
  'STOP_LOSS_LIMIT',
  'TAKE_PROFIT',
  'TAKE_PROFIT_LIMIT',
];

/** GTC rests on the book; IOC fills what it can now and expires the rest; FOK fills entirely now or expires. */
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';

/**
 * Where the fee is charged.
 * - `received-asset`: what Binance spot does: the fee is taken from the asset the trade pays out
 *   (base on a buy, quote on a sell), so a buy of 1 ETH credits 0.999 ETH.
 * - `quote`: the fee is always taken in the quote asset (added to the cost of a buy, subtracted
 *   from the proceeds of a sell), like venues that settle fees in the quote currency.
 */
export type FeeMode = 'received-asset' | 'quote';

/** A tradable pair and the exchange filters that orders must pass. */
export interface MarketSpec {
  /** Exchange id of the pair, e.g. `BTCUSDT`. */
  symbol: string;
  base: string;
  quote: string;
  /** Prices must be a multiple of this. */
  tickSize: Dec;
  minPrice: Dec;
  maxPrice: Dec;
  /** Quantities must be a multiple of this (counted from `minQty`, as Binance does). */
  stepSize: Dec;
  minQty: Dec;
  maxQty: Dec;
  /** Minimum price × quantity, in the quote asset. */
  minNotional: Dec;
}

export interface Candle {
  /** Open time, epoch milliseconds. */
  openTime: number;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  volume: Dec;
}

/** The price a client sees now: the last trade (candle close) and a best bid/ask around it. */
export interface Quote {
  last: Dec;
  bid: Dec;
  ask: Dec;
  time: number;
}

export interface NewOrder {
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  /** Base quantity. Market orders may give `quoteOrderQty` instead. */
  quantity?: Dec;
  /** Market orders only: spend (buy) or raise (sell) this much quote. */
  quoteOrderQty?: Dec;
  /** Limit price (LIMIT, LIMIT_MAKER, *_LIMIT). */
  price?: Dec;
  /** Trigger price (STOP_LOSS*, TAKE_PROFIT*). */
  stopPrice?: Dec;
  /** Defaults to GTC for orders that rest. */
  timeInForce?: TimeInForce;
  clientOrderId: string;
}

export interface Fill {
  tradeId: number;
  orderId: number;
  account: string;
  symbol: string;
  side: Side;
  price: Dec;
  qty: Dec;
  /** price × qty */
  quoteQty: Dec;
  commission: Dec;
  commissionAsset: string;
  isMaker: boolean;
  time: number;
}

export interface Order {
  orderId: number;
  clientOrderId: string;
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  /** Limit price; zero for market-type orders (as Binance reports it). */
  price: Dec;
  /** Trigger price; zero for orders without a trigger. */
  stopPrice: Dec;
  origQty: Dec;
  /** The quote amount the client asked for, zero when the order was given in base. */
  origQuoteOrderQty: Dec;
  executedQty: Dec;
  cummulativeQuoteQty: Dec;
  status: OrderStatus;
  /** Creation time. */
  time: number;
  /** Time of the last change. */
  updateTime: number;
  /** When the order started working on the book; undefined while a stop waits for its trigger. */
  workingTime: number | undefined;
  fills: Fill[];
  /** Amount held for this order (`lockedAsset`), released as it fills or when it ends. */
  locked: Dec;
  lockedAsset: string;
  /** Per-order override of the partial-fill fraction (fault injection). */
  partialFillFraction: Dec | undefined;
}

export interface BalanceLine {
  asset: string;
  free: Dec;
  locked: Dec;
}
