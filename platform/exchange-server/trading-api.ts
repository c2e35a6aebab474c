/**
 * Binance spot SIGNED endpoints: orders, trades and the account. Parameters are checked in the
 * order and with the errors Binance uses, then handed to the matching engine.
 */
import { randomBytes } from 'node:crypto';
import type { OrderRef } from '../../shared/exchange/matching/engine.ts';
import { OrderRejected } from '../../shared/exchange/matching/rejections.ts';
import type { Order, OrderType, Side, TimeInForce } from '../../shared/exchange/matching/types.ts';
import { ORDER_TYPES } from '../../shared/exchange/matching/types.ts';
import { errors, fromRejection } from './binance-errors.ts';
import {
  canceledOrderJson,
  newOrderJson,
  num,
  type OrderResponseType,
  orderJson,
  tradeJson,
} from './binance-json.ts';
import type { Params } from './params.ts';
import type { Venue } from './venue.ts';

export interface TradingContext {
  apiKey: string;
  /** Set by a `partial-fill` fault for the order this request places. */
  partialFillFraction?: string | number;
}

export type TradingHandler = (venue: Venue, params: Params, context: TradingContext) => unknown;

const CLIENT_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const CLIENT_ID_RANGE = '^[\\.A-Z\\:/a-z0-9_-]{1,36}$';
const TIME_IN_FORCE: readonly TimeInForce[] = ['GTC', 'IOC', 'FOK'];
const NEEDS_TIME_IN_FORCE: readonly OrderType[] = ['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'];
const NEEDS_PRICE: readonly OrderType[] = ['LIMIT', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'];
const NEEDS_STOP: readonly OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];

/** A client order id like the ones Binance generates when the client sends none. */
function generatedClientId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function clientId(params: Params, name: string): string | undefined {
  const value = params.string(name);
  if (value !== undefined && !CLIENT_ID.test(value)) throw errors.illegalCharacters(name, CLIENT_ID_RANGE);
  return value;
}

/** `orderId` or `origClientOrderId`, one of which Binance requires to find an order. */
function orderRef(params: Params): OrderRef {
  const orderId = params.integer('orderId');
  if (orderId !== undefined) return { orderId };
  const origClientOrderId = params.string('origClientOrderId');
  if (origClientOrderId !== undefined) return { clientOrderId: origClientOrderId };
  throw errors.eitherParam('orderId', 'origClientOrderId');
}

function withRejections<T>(context: 'place' | 'query' | 'cancel', action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof OrderRejected) throw fromRejection(error, context);
    throw error;
  }
}

function inWindow(time: number, params: Params): boolean {
  const start = params.integer('startTime');
  const end = params.integer('endTime');
  return (start === undefined || time >= start) && (end === undefined || time <= end);
}

function placeOrder(venue: Venue, params: Params, context: TradingContext): unknown {
  const feed = venue.feed(params.required('symbol'));
  const side = params.required('side');
  if (side !== 'BUY' && side !== 'SELL') throw errors.invalidSide();
  const type = params.required('type') as OrderType;
  if (!ORDER_TYPES.includes(type)) throw errors.invalidOrderType();
  const timeInForce = params.string('timeInForce') as TimeInForce | undefined;
  if (timeInForce !== undefined && !TIME_IN_FORCE.includes(timeInForce)) throw errors.invalidTimeInForce();
  if (timeInForce === undefined && NEEDS_TIME_IN_FORCE.includes(type)) throw errors.mandatory('timeInForce');
  const quantity = params.decimal('quantity');
  const quoteOrderQty = params.decimal('quoteOrderQty');
  if (type === 'MARKET' && quantity === undefined && quoteOrderQty === undefined) {
    throw errors.eitherParam('quantity', 'quoteOrderQty');
  }
  if (type !== 'MARKET' && quantity === undefined) throw errors.mandatory('quantity');
  const price = params.decimal('price');
  if (NEEDS_PRICE.includes(type) && price === undefined) throw errors.mandatory('price');
  const stopPrice = params.decimal('stopPrice');
  if (NEEDS_STOP.includes(type) && stopPrice === undefined) throw errors.mandatory('stopPrice');
  const clientOrderId = clientId(params, 'newClientOrderId') ?? generatedClientId();
  const defaultResponse: OrderResponseType = type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK';
  const responseType = (params.string('newOrderRespType') ?? defaultResponse) as OrderResponseType;

  const order = withRejections('place', () =>
    venue.engine.placeOrder(
      {
        account: context.apiKey,
        symbol: feed.symbol,
        side: side as Side,
        type,
        quantity,
        quoteOrderQty: type === 'MARKET' ? quoteOrderQty : undefined,
        price: NEEDS_PRICE.includes(type) ? price : undefined,
        stopPrice: NEEDS_STOP.includes(type) ? stopPrice : undefined,
        timeInForce: timeInForce ?? 'GTC',
        clientOrderId,
      },
      feed.now(),
      { partialFillFraction: context.partialFillFraction },
    ),
  );
  return newOrderJson(
    order,
    ['ACK', 'RESULT', 'FULL'].includes(responseType) ? responseType : defaultResponse,
  );
}

export const tradingRoutes: Record<string, TradingHandler> = {
  'POST /api/v3/order': placeOrder,

  'GET /api/v3/order': (venue, params, { apiKey }) => {
    const feed = venue.feed(params.required('symbol'));
    const order = venue.engine.findOrder(apiKey, feed.symbol, orderRef(params));
    if (!order) throw errors.orderDoesNotExist();
    return orderJson(order);
  },

  'DELETE /api/v3/order': (venue, params, { apiKey }) => {
    const feed = venue.feed(params.required('symbol'));
    const ref = orderRef(params);
    const cancelId = clientId(params, 'newClientOrderId') ?? generatedClientId();
    const order = withRejections('cancel', () =>
      venue.engine.cancelOrder(apiKey, feed.symbol, ref, feed.now()),
    );
    return canceledOrderJson(order, cancelId, feed.now());
  },

  'GET /api/v3/openOrders': (venue, params, { apiKey }) => {
    const symbol = params.string('symbol');
    if (symbol !== undefined) venue.feed(symbol);
    return venue.engine.openOrders(apiKey, symbol).map(orderJson);
  },

  'DELETE /api/v3/openOrders': (venue, params, { apiKey }) => {
    const feed = venue.feed(params.required('symbol'));
    const canceled: Order[] = venue.engine.cancelOpenOrders(apiKey, feed.symbol, feed.now());
    if (canceled.length === 0) throw errors.unknownOrder();
    return canceled.map((order) => canceledOrderJson(order, generatedClientId(), feed.now()));
  },

  'GET /api/v3/allOrders': (venue, params, { apiKey }) => {
    const feed = venue.feed(params.required('symbol'));
    const fromId = params.integer('orderId');
    const orders = venue.engine
      .accountOrders(apiKey, feed.symbol)
      .filter((o) => (fromId === undefined || o.orderId >= fromId) && inWindow(o.time, params));
    const limit = params.limit(500, 1000);
    return (fromId !== undefined ? orders.slice(0, limit) : orders.slice(-limit)).map(orderJson);
  },

  'GET /api/v3/myTrades': (venue, params, { apiKey }) => {
    const feed = venue.feed(params.required('symbol'));
    const orderId = params.integer('orderId');
    const fromId = params.integer('fromId');
    const trades = venue.engine
      .accountTrades(apiKey, feed.symbol)
      .filter(
        (t) =>
          (orderId === undefined || t.orderId === orderId) &&
          (fromId === undefined || t.tradeId >= fromId) &&
          inWindow(t.time, params),
      );
    const limit = params.limit(500, 1000);
    return (fromId !== undefined ? trades.slice(0, limit) : trades.slice(-limit)).map(tradeJson);
  },

  // Binance "Get API Key Permission": what the calling key may do (set per key by the control API).
  'GET /sapi/v1/account/apiRestrictions': (venue, _params, { apiKey }) => ({
    ...venue.apiRestrictions(apiKey),
    createTime: venue.now(),
  }),

  'GET /api/v3/account': (venue, params, { apiKey }) => {
    const omitZero = params.string('omitZeroBalances') === 'true';
    const fees = venue.engine.fees;
    const balances = venue.engine
      .balanceLines(apiKey)
      .filter((b) => !omitZero || !b.free.plus(b.locked).isZero())
      .map((b) => ({ asset: b.asset, free: num(b.free), locked: num(b.locked) }));
    return {
      // Commission in basis points, as Binance reports it next to the exact rates.
      makerCommission: fees.maker.mul(10_000).toNumber(),
      takerCommission: fees.taker.mul(10_000).toNumber(),
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: {
        maker: num(fees.maker),
        taker: num(fees.taker),
        buyer: num(fees.maker.mul(0)),
        seller: num(fees.maker.mul(0)),
      },
      canTrade: true,
      canWithdraw: false,
      canDeposit: false,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: venue.now(),
      accountType: 'SPOT',
      balances,
      permissions: ['SPOT'],
      uid: 0,
    };
  },
};
