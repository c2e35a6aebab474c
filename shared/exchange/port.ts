/**
 * The Exchange port: everything the pipeline asks of an exchange, whatever is behind it
 * (the CCXT adapter for testnet/live accounts, the paper exchange for paper accounts).
 *
 * Amounts and prices are decimal strings (see shared/money/decimal.ts); times are
 * milliseconds since the epoch, UTC. Every order carries the caller's client order id,
 * which is what makes placement exactly-once (shared/exchange/client-order-id.ts).
 */
import type { Candle } from '../market-data/candle.ts';

export type OrderSide = 'buy' | 'sell';
export type OrderType =
  | 'market'
  | 'limit'
  | 'stop_loss'
  | 'stop_loss_limit'
  | 'take_profit'
  | 'take_profit_limit';
/** The same vocabulary as public.orders.status. */
export type OrderStatus = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected' | 'expired';

export interface MarketInfo {
  symbol: string; // unified, e.g. "BTC/USDT"
  base: string;
  quote: string;
  /** Amount step and price tick as decimal strings ("0.00001", "0.01"). */
  amountStep: string;
  priceTick: string;
  minAmount: string | null;
  minNotional: string | null;
  /** Order types the venue supports natively (others are emulated by the worker). */
  nativeStopLoss: boolean;
  nativeTakeProfit: boolean;
  reduceOnly: boolean;
  /**
   * The venue's trading fee on this market, when it says: maker and taker rates as fractions
   * ("0.001" is 0.1 %) and the asset a buy's fee is taken from. `base`: out of the amount bought
   * (Binance spot), so a buy of 1 ETH credits 0.999 ETH, which is no longer a multiple of the
   * lot step; `quote`: added to the cost; `other`: a third asset (a fee token). Absent when the
   * venue does not say; the risk engine then assumes the worst case (see shared/risk/facts.ts).
   */
  fees?: MarketFees;
}

export interface MarketFees {
  maker: string;
  taker: string;
  buyFeeAsset: 'base' | 'quote' | 'other';
}

export interface Ticker {
  symbol: string;
  last: string;
  bid: string | null;
  ask: string | null;
  timestamp: number;
}

/** A candle as exchanges return it: the same shape the system stores (shared/market-data/candle.ts). */
export type OhlcvCandle = Candle;

export interface OrderRequest {
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  amount: string;
  /** Limit price (limit, stop_loss_limit, take_profit_limit). */
  price?: string;
  /** Trigger price (stop_loss*, take_profit*). */
  stopPrice?: string;
  reduceOnly?: boolean;
}

export interface ExchangeOrder {
  exchangeOrderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  status: OrderStatus;
  amount: string;
  filled: string;
  price: string | null;
  averagePrice: string | null;
  stopPrice: string | null;
  fee: { cost: string; currency: string } | null;
  timestamp: number;
}

export interface Fill {
  tradeId: string;
  exchangeOrderId: string;
  symbol: string;
  side: OrderSide;
  price: string;
  amount: string;
  cost: string;
  fee: { cost: string; currency: string } | null;
  liquidity: 'maker' | 'taker' | null;
  timestamp: number;
}

export interface BalanceLine {
  asset: string;
  free: string;
  used: string;
  total: string;
}

export type OrderRef = { exchangeOrderId: string } | { clientOrderId: string };

export interface Exchange {
  readonly id: string;
  markets(): Promise<MarketInfo[]>;
  market(symbol: string): Promise<MarketInfo>;
  ticker(symbol: string): Promise<Ticker>;
  ohlcv(symbol: string, timeframe: string, since?: number, limit?: number): Promise<OhlcvCandle[]>;
  createOrder(request: OrderRequest): Promise<ExchangeOrder>;
  /** Null when the exchange has no such order (never placed, or unknown to it). */
  fetchOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder | null>;
  cancelOrder(symbol: string, ref: OrderRef): Promise<ExchangeOrder>;
  openOrders(symbol?: string): Promise<ExchangeOrder[]>;
  myTrades(symbol: string, since?: number): Promise<Fill[]>;
  balance(): Promise<BalanceLine[]>;
}
