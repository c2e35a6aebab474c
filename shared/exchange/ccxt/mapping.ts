/**
 * ccxt's unified structures → the port's types (shared/exchange/port.ts).
 *
 * ccxt parses venue answers with its string arithmetic (Precise) and hands out JS numbers
 * produced from those decimal strings; `numberToString` gives back the shortest decimal that
 * round-trips, which is the venue's own string. From here on amounts are decimal strings.
 */
import type { Order as CcxtOrder, Trade as CcxtTrade, MarketInterface } from 'ccxt';
import { Dec, dec, toDecimalString } from '../../money/decimal.ts';
import type {
  ExchangeOrder,
  Fill,
  MarketFees,
  MarketInfo,
  OrderSide,
  OrderStatus,
  OrderType,
} from '../port.ts';

/** ccxt's precision modes (ccxt/js/src/base/functions/number.js). */
export const DECIMAL_PLACES = 2;
export const SIGNIFICANT_DIGITS = 3;
export const TICK_SIZE = 4;

/** A ccxt number (or numeric string) as a canonical decimal string; null for absent/NaN. */
export function decimalString(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    // Number → shortest round-trip decimal, without exponent notation.
    return toDecimalString(new Dec(value));
  }
  if (typeof value === 'string') return toDecimalString(value);
  return null;
}

function required(value: unknown, what: string): string {
  const text = decimalString(value);
  if (text === null) throw new Error(`exchange answer lacks ${what}`);
  return text;
}

/** An amount step or price tick from ccxt's market precision, whatever the exchange's precision mode. */
export function stepFromPrecision(precision: unknown, mode: number): string | null {
  if (precision === undefined || precision === null) return null;
  if (mode === TICK_SIZE) return decimalString(precision);
  if (mode === DECIMAL_PLACES) return toDecimalString(dec(10).pow(-Number(precision)));
  // SIGNIFICANT_DIGITS has no fixed step; the caller falls back (see marketInfo).
  return null;
}

export interface MarketCapabilities {
  nativeStopLoss: boolean;
  nativeTakeProfit: boolean;
  reduceOnly: boolean;
}

export function marketInfo(
  market: MarketInterface,
  precisionMode: number,
  can: MarketCapabilities,
): MarketInfo {
  return {
    symbol: market.symbol,
    base: market.base,
    quote: market.quote,
    // Significant-digit venues (rare) get the finest step a crypto amount uses; ccxt's own
    // helpers still do the real rounding before sending.
    amountStep: stepFromPrecision(market.precision?.amount, precisionMode) ?? '0.00000001',
    priceTick: stepFromPrecision(market.precision?.price, precisionMode) ?? '0.00000001',
    minAmount: positiveOrNull(market.limits?.amount?.min),
    minNotional: positiveOrNull(market.limits?.cost?.min),
    ...can,
    ...optionalFees(market),
  };
}

/**
 * The market's fee as ccxt describes it: its maker/taker rates (percentages, as fractions) and
 * `feeSide`, the asset the fee is taken from: `get` (what the order receives: base on a buy, as
 * Binance spot does), `give` (what it spends), `base`, `quote` or `other`. Nothing when ccxt does
 * not say, or gives flat fees: the port's `fees` is then absent (unknown).
 */
function optionalFees(market: MarketInterface): { fees?: MarketFees } {
  const maker = decimalString(market.maker);
  const taker = decimalString(market.taker);
  const buyFeeAsset = BUY_FEE_ASSET.get(market.feeSide ?? '');
  if (maker === null || taker === null || buyFeeAsset === undefined || market.percentage === false) return {};
  return { fees: { maker, taker, buyFeeAsset } };
}

const BUY_FEE_ASSET = new Map<string, MarketFees['buyFeeAsset']>([
  ['get', 'base'],
  ['give', 'quote'],
  ['base', 'base'],
  ['quote', 'quote'],
  ['other', 'other'],
]);

function positiveOrNull(value: unknown): string | null {
  const text = decimalString(value);
  return text !== null && dec(text).gt(0) ? text : null;
}

/**
 * The port's status from ccxt's (open | closed | canceled | expired | rejected). ccxt calls a
 * partly filled working order `open`; the database distinguishes it. A `closed` order that did
 * not fill completely stopped working with a remainder, which is a cancellation.
 */
export function orderStatus(status: string | undefined, filled: string, amount: string | null): OrderStatus {
  switch (status) {
    case 'closed':
      return amount !== null && dec(filled).lt(amount) ? 'cancelled' : 'filled';
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    default:
      // open, or a venue that answers a create with an id only: the order is working.
      return dec(filled).gt(0) ? 'partially_filled' : 'open';
  }
}

const PORT_TYPES = new Set<OrderType>([
  'market',
  'limit',
  'stop_loss',
  'stop_loss_limit',
  'take_profit',
  'take_profit_limit',
]);

/**
 * The port's order type. ccxt reports trigger orders as `market`/`limit` plus a trigger price;
 * the venue's own type (Binance's STOP_LOSS_LIMIT, …) says which kind, so it is read first.
 */
export function orderType(order: CcxtOrder): OrderType {
  const venueType = String(order.info?.type ?? order.info?.orderType ?? '').toLowerCase();
  if (PORT_TYPES.has(venueType as OrderType)) return venueType as OrderType;
  const limit = order.type === 'limit' || (order.type ?? '').includes('limit');
  if (order.takeProfitPrice) return limit ? 'take_profit_limit' : 'take_profit';
  if (order.stopLossPrice || order.triggerPrice) return limit ? 'stop_loss_limit' : 'stop_loss';
  return limit ? 'limit' : 'market';
}

type CcxtFee = { currency?: string | undefined; cost?: number | string | undefined } | undefined;

/** The fee in one currency: ccxt's `fees` summed for the first fee's currency, else its `fee`. */
function orderFee(fee: CcxtFee, fees: CcxtFee[] | undefined): ExchangeOrder['fee'] {
  const list = (fees ?? []).filter(
    (f): f is NonNullable<CcxtFee> => !!f && !!f.currency && f.cost !== undefined && f.cost !== null,
  );
  if (list.length > 0) {
    const currency = list[0]!.currency!;
    const total = list
      .filter((f) => f.currency === currency)
      .reduce((sum, f) => sum.plus(decimalString(f.cost) ?? '0'), dec(0));
    return { cost: toDecimalString(total), currency };
  }
  if (fee?.currency && fee.cost !== undefined && fee.cost !== null) {
    return { cost: required(fee.cost, 'fee cost'), currency: fee.currency };
  }
  return null;
}

/** ccxt fills `fees` (a list) besides `fee`, though its typings only declare `fee`. */
function feesOf(structure: object): CcxtFee[] | undefined {
  const fees = (structure as { fees?: unknown }).fees;
  return Array.isArray(fees) ? (fees as CcxtFee[]) : undefined;
}

function positivePrice(value: unknown): string | null {
  const text = decimalString(value);
  return text !== null && dec(text).gt(0) ? text : null;
}

export interface OrderDefaults {
  /** What we sent, for venues whose create answer is sparse. */
  request?: { clientOrderId: string; symbol: string; side: OrderSide; type: OrderType; amount: string };
  now: number;
}

export function exchangeOrder(order: CcxtOrder, defaults: OrderDefaults): ExchangeOrder {
  const request = defaults.request;
  const amount = decimalString(order.amount) ?? request?.amount ?? null;
  const filled = decimalString(order.filled) ?? '0';
  if (!order.id) throw new Error('exchange answer lacks an order id');
  // Binance reports -1 as the time of an untriggered stop; fall back to its last update.
  const timestamp = [order.timestamp, order.lastUpdateTimestamp].find(
    (t): t is number => typeof t === 'number' && t > 0,
  );
  return {
    exchangeOrderId: String(order.id),
    // A Binance cancel answer carries the cancel request's own id in clientOrderId and the
    // order's in origClientOrderId.
    clientOrderId: order.info?.origClientOrderId ?? order.clientOrderId ?? request?.clientOrderId ?? null,
    symbol: order.symbol ?? request?.symbol ?? '',
    side: (order.side as OrderSide | undefined) ?? request!.side,
    type: request?.type ?? orderType(order),
    status: orderStatus(order.status, filled, amount),
    amount: amount ?? required(undefined, 'order amount'),
    filled,
    price: positivePrice(order.price),
    averagePrice: positivePrice(order.average),
    stopPrice: positivePrice(
      order.triggerPrice ?? order.stopPrice ?? order.stopLossPrice ?? order.takeProfitPrice,
    ),
    fee: orderFee(order.fee, feesOf(order)),
    timestamp: timestamp ?? defaults.now,
  };
}

export function fill(trade: CcxtTrade): Fill {
  return {
    tradeId: String(trade.id),
    exchangeOrderId: String(trade.order ?? ''),
    symbol: trade.symbol ?? '',
    side: trade.side as OrderSide,
    price: required(trade.price, 'trade price'),
    amount: required(trade.amount, 'trade amount'),
    cost:
      decimalString(trade.cost) ??
      toDecimalString(dec(required(trade.price, 'price')).mul(required(trade.amount, 'amount'))),
    fee: orderFee(trade.fee as CcxtFee, feesOf(trade)),
    liquidity: trade.takerOrMaker === 'maker' || trade.takerOrMaker === 'taker' ? trade.takerOrMaker : null,
    timestamp: trade.timestamp ?? 0,
  };
}
