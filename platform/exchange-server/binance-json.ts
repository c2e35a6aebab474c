/**
 * Response bodies in Binance spot's shapes (field names, string decimals, `-1` for "none"), which
 * ccxt's binance parser reads field by field.
 */

import type { Candle, Fill, MarketSpec, Order, Quote } from '../../shared/exchange/matching/types.ts';
import { ORDER_TYPES } from '../../shared/exchange/matching/types.ts';
import type { Dec } from '../../shared/money/decimal.ts';

/** Binance prints 8 decimals; more are kept when a value has them, so nothing is ever lost. */
export function num(value: Dec): string {
  return value.toFixed(Math.max(8, value.decimalPlaces()));
}

export type OrderResponseType = 'ACK' | 'RESULT' | 'FULL';

/** The fields every order answer carries about the order's state (amounts as Binance strings). */
function orderState(order: Order): Record<string, unknown> {
  return {
    price: num(order.price),
    origQty: num(order.origQty),
    executedQty: num(order.executedQty),
    origQuoteOrderQty: num(order.origQuoteOrderQty),
    cummulativeQuoteQty: num(order.cummulativeQuoteQty),
    status: order.status,
    timeInForce: order.timeInForce,
    type: order.type,
    side: order.side,
  };
}

/** The answer to POST /api/v3/order. */
export function newOrderJson(order: Order, responseType: OrderResponseType): Record<string, unknown> {
  const ack = {
    symbol: order.symbol,
    orderId: order.orderId,
    orderListId: -1,
    clientOrderId: order.clientOrderId,
    transactTime: order.time,
  };
  if (responseType === 'ACK') return ack;
  const result: Record<string, unknown> = {
    ...ack,
    ...orderState(order),
    ...(order.stopPrice.gt(0) ? { stopPrice: num(order.stopPrice) } : {}),
    workingTime: order.workingTime ?? -1,
    selfTradePreventionMode: 'NONE',
  };
  if (responseType === 'RESULT') return result;
  return {
    ...result,
    fills: order.fills.map((fill) => ({
      price: num(fill.price),
      qty: num(fill.qty),
      commission: num(fill.commission),
      commissionAsset: fill.commissionAsset,
      tradeId: fill.tradeId,
    })),
  };
}

/** The answer to GET /api/v3/order, openOrders and allOrders. */
export function orderJson(order: Order): Record<string, unknown> {
  return {
    symbol: order.symbol,
    orderId: order.orderId,
    orderListId: -1,
    clientOrderId: order.clientOrderId,
    ...orderState(order),
    stopPrice: num(order.stopPrice),
    icebergQty: num(order.stopPrice.mul(0)),
    time: order.time,
    updateTime: order.updateTime,
    isWorking: order.workingTime !== undefined,
    workingTime: order.workingTime ?? -1,
    selfTradePreventionMode: 'NONE',
  };
}

/**
 * The answer to DELETE /api/v3/order. Binance gives the cancel request its own client id and puts
 * it in `clientOrderId`; the order's own id moves to `origClientOrderId`.
 */
export function canceledOrderJson(
  order: Order,
  cancelClientOrderId: string,
  now: number,
): Record<string, unknown> {
  return {
    symbol: order.symbol,
    origClientOrderId: order.clientOrderId,
    orderId: order.orderId,
    orderListId: -1,
    clientOrderId: cancelClientOrderId,
    transactTime: now,
    ...orderState(order),
    ...(order.stopPrice.gt(0) ? { stopPrice: num(order.stopPrice) } : {}),
    selfTradePreventionMode: 'NONE',
  };
}

export function tradeJson(fill: Fill): Record<string, unknown> {
  return {
    symbol: fill.symbol,
    id: fill.tradeId,
    orderId: fill.orderId,
    orderListId: -1,
    price: num(fill.price),
    qty: num(fill.qty),
    quoteQty: num(fill.quoteQty),
    commission: num(fill.commission),
    commissionAsset: fill.commissionAsset,
    time: fill.time,
    isBuyer: fill.side === 'BUY',
    isMaker: fill.isMaker,
    isBestMatch: true,
  };
}

/** One symbol of GET /api/v3/exchangeInfo, with the filters ccxt turns into precision and limits. */
export function symbolInfoJson(market: MarketSpec): Record<string, unknown> {
  return {
    symbol: market.symbol,
    status: 'TRADING',
    baseAsset: market.base,
    baseAssetPrecision: 8,
    quoteAsset: market.quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ORDER_TYPES,
    icebergAllowed: false,
    ocoAllowed: false,
    otoAllowed: false,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: false,
    cancelReplaceAllowed: false,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: [
      {
        filterType: 'PRICE_FILTER',
        minPrice: num(market.minPrice),
        maxPrice: num(market.maxPrice),
        tickSize: num(market.tickSize),
      },
      {
        filterType: 'LOT_SIZE',
        minQty: num(market.minQty),
        maxQty: num(market.maxQty),
        stepSize: num(market.stepSize),
      },
      {
        filterType: 'MARKET_LOT_SIZE',
        minQty: num(market.minQty.mul(0)),
        maxQty: num(market.maxQty),
        stepSize: num(market.stepSize.mul(0)),
      },
      {
        filterType: 'NOTIONAL',
        minNotional: num(market.minNotional),
        applyMinToMarket: true,
        maxNotional: '9000000.00000000',
        applyMaxToMarket: false,
        avgPriceMins: 5,
      },
      { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT']],
    defaultSelfTradePreventionMode: 'NONE',
    allowedSelfTradePreventionModes: ['NONE'],
  };
}

/** A kline row: [openTime, o, h, l, c, volume, closeTime, quoteVolume, trades, takerBase, takerQuote, "0"]. */
export function klineJson(candle: Candle, intervalMs: number): unknown[] {
  const quoteVolume = candle.close.mul(candle.volume);
  return [
    candle.openTime,
    num(candle.open),
    num(candle.high),
    num(candle.low),
    num(candle.close),
    num(candle.volume),
    candle.openTime + intervalMs - 1,
    num(quoteVolume),
    candle.volume.isZero() ? 0 : 100,
    num(candle.volume.div(2)),
    num(quoteVolume.div(2)),
    '0',
  ];
}

/** GET /api/v3/ticker/24hr for one market, computed over the candles of the last 24 hours. */
export function ticker24hrJson(
  market: MarketSpec,
  window: Candle[],
  quote: Quote,
  bookQty: Dec,
  now: number,
): Record<string, unknown> {
  const first = window[0]!;
  let high = first.high;
  let low = first.low;
  let volume = first.volume.mul(0);
  let quoteVolume = volume;
  for (const c of window) {
    if (c.high.gt(high)) high = c.high;
    if (c.low.lt(low)) low = c.low;
    volume = volume.plus(c.volume);
    quoteVolume = quoteVolume.plus(c.close.mul(c.volume));
  }
  const change = quote.last.minus(first.open);
  return {
    symbol: market.symbol,
    priceChange: num(change),
    priceChangePercent: change.div(first.open).mul(100).toFixed(3),
    weightedAvgPrice: num(volume.isZero() ? quote.last : quoteVolume.div(volume).toDecimalPlaces(8)),
    prevClosePrice: num(first.open),
    lastPrice: num(quote.last),
    lastQty: num(bookQty),
    bidPrice: num(quote.bid),
    bidQty: num(bookQty),
    askPrice: num(quote.ask),
    askQty: num(bookQty),
    openPrice: num(first.open),
    highPrice: num(high),
    lowPrice: num(low),
    volume: num(volume),
    quoteVolume: num(quoteVolume),
    openTime: now - 86_400_000,
    closeTime: now,
    firstId: 1,
    lastId: window.length,
    count: window.length,
  };
}
