/**
 * Turns a port order request into the arguments of ccxt's `createOrder`, refusing before
 * anything is sent what the market's limits would refuse:
 *
 * - amount truncated to the market's precision and price rounded to its tick by ccxt's own
 *   helpers (`amountToPrecision` truncates, `priceToPrecision` rounds), which know every
 *   venue's precision mode;
 * - min/max amount, min/max price and min notional checked, with an error that names the
 *   limit (Binance answers a NOTIONAL filter failure with a bare BadRequest, and other venues
 *   with worse);
 * - stop-loss/take-profit mapped to ccxt's `stopLossPrice`/`takeProfitPrice` params (ccxt
 *   picks the venue's order type, e.g. Binance STOP_LOSS / TAKE_PROFIT_LIMIT), only where
 *   the market has them natively; elsewhere the worker emulates them.
 */
import ccxt, { type Exchange as CcxtClient, type MarketInterface } from 'ccxt';
import { dec, toDecimalString } from '../../money/decimal.ts';
import { MarketLimitViolation } from '../errors.ts';
import type { MarketInfo, OrderRequest } from '../port.ts';
import { decimalString } from './mapping.ts';

export interface PreparedOrder {
  symbol: string;
  type: 'market' | 'limit';
  side: 'buy' | 'sell';
  /** Decimal strings after rounding, as sent. */
  amount: string;
  price: string | undefined;
  stopPrice: string | undefined;
  params: Record<string, unknown>;
}

const LIMIT_TYPES = new Set(['limit', 'stop_loss_limit', 'take_profit_limit']);
const TRIGGER_TYPES = new Set(['stop_loss', 'stop_loss_limit', 'take_profit', 'take_profit_limit']);

/**
 * @param referencePrice for the notional of a market order (the side's best price); ignored
 *   for orders that carry a limit or trigger price.
 */
export function prepareOrder(
  client: CcxtClient,
  market: MarketInterface,
  info: MarketInfo,
  request: OrderRequest,
  referencePrice: string | null,
): PreparedOrder {
  const symbol = market.symbol ?? request.symbol;
  const isLimit = LIMIT_TYPES.has(request.type);
  const isTrigger = TRIGGER_TYPES.has(request.type);
  const isStopLoss = request.type === 'stop_loss' || request.type === 'stop_loss_limit';

  if (isTrigger && isStopLoss && !info.nativeStopLoss) {
    throw new ccxt.NotSupported(`${client.id} ${symbol} has no native stop-loss orders; emulate them`);
  }
  if (isTrigger && !isStopLoss && !info.nativeTakeProfit) {
    throw new ccxt.NotSupported(`${client.id} ${symbol} has no native take-profit orders; emulate them`);
  }
  if (isLimit && request.price === undefined)
    throw new ccxt.ArgumentsRequired(`${request.type} order needs a price`);
  if (isTrigger && request.stopPrice === undefined) {
    throw new ccxt.ArgumentsRequired(`${request.type} order needs a stopPrice`);
  }

  const amount = roundAmount(client, symbol, request.amount);
  const price = isLimit ? roundPrice(client, symbol, request.price!, 'price') : undefined;
  const stopPrice = isTrigger ? roundPrice(client, symbol, request.stopPrice!, 'stop price') : undefined;

  checkRange(symbol, 'amount', amount, market.limits?.amount, 'min_amount', 'max_amount');
  for (const p of [price, stopPrice]) {
    if (p !== undefined) checkRange(symbol, 'price', p, market.limits?.price, 'min_price', 'max_price');
  }
  const notionalPrice = price ?? stopPrice ?? referencePrice;
  const quote = market.quote ?? '';
  const minNotional = info.minNotional;
  if (minNotional !== null) {
    if (notionalPrice === null) {
      throw new MarketLimitViolation(
        'min_notional',
        `${symbol}: no price to check the min notional ${minNotional}`,
      );
    }
    const notional = dec(amount).mul(notionalPrice);
    if (notional.lt(minNotional)) {
      throw new MarketLimitViolation(
        'min_notional',
        `${symbol}: order value ${toDecimalString(notional)} ${quote} (${amount} × ${notionalPrice}) is below the market's min notional ${minNotional} ${quote}`,
      );
    }
  }

  const params: Record<string, unknown> = { clientOrderId: request.clientOrderId };
  if (stopPrice !== undefined) params[isStopLoss ? 'stopLossPrice' : 'takeProfitPrice'] = toNumber(stopPrice);
  if (request.reduceOnly) {
    if (info.reduceOnly) params['reduceOnly'] = true;
    // A spot sell can only spend what the account holds, so it cannot open exposure: the
    // flag has no meaning there and venues refuse it. Elsewhere we refuse to drop it silently.
    else if (!market.spot) throw new ccxt.NotSupported(`${client.id} ${symbol} has no reduce-only orders`);
  }
  return {
    symbol,
    type: isLimit ? 'limit' : 'market',
    side: request.side,
    amount,
    price,
    stopPrice,
    params,
  };
}

function roundAmount(client: CcxtClient, symbol: string, amount: string): string {
  if (!dec(amount).gt(0)) throw new ccxt.InvalidOrder(`${symbol}: amount must be positive, got ${amount}`);
  let rounded: string | undefined;
  try {
    rounded = client.amountToPrecision(symbol, amount as unknown as number) ?? undefined;
  } catch (error) {
    // ccxt refuses an amount that truncates to zero with a bare InvalidOrder.
    if (error instanceof ccxt.InvalidOrder) {
      throw new MarketLimitViolation(
        'precision',
        `${symbol}: amount ${amount} is below the market's amount step`,
      );
    }
    throw error;
  }
  const text = rounded === undefined ? '0' : toDecimalString(rounded);
  if (!dec(text).gt(0)) {
    throw new MarketLimitViolation(
      'precision',
      `${symbol}: amount ${amount} is below the market's amount step`,
    );
  }
  return text;
}

function roundPrice(client: CcxtClient, symbol: string, price: string, what: string): string {
  if (!dec(price).gt(0)) throw new ccxt.InvalidOrder(`${symbol}: ${what} must be positive, got ${price}`);
  const text = toDecimalString(client.priceToPrecision(symbol, price as unknown as number) ?? '0');
  if (!dec(text).gt(0)) {
    throw new MarketLimitViolation(
      'precision',
      `${symbol}: ${what} ${price} is below the market's price tick`,
    );
  }
  return text;
}

function checkRange(
  symbol: string,
  what: string,
  value: string,
  range: { min?: number | undefined; max?: number | undefined } | undefined,
  minLimit: 'min_amount' | 'min_price',
  maxLimit: 'max_amount' | 'max_price',
): void {
  const min = decimalString(range?.min);
  const max = decimalString(range?.max);
  if (min !== null && dec(min).gt(0) && dec(value).lt(min)) {
    throw new MarketLimitViolation(
      minLimit,
      `${symbol}: ${what} ${value} is below the market's minimum ${min}`,
    );
  }
  if (max !== null && dec(max).gt(0) && dec(value).gt(max)) {
    throw new MarketLimitViolation(
      maxLimit,
      `${symbol}: ${what} ${value} is above the market's maximum ${max}`,
    );
  }
}

/**
 * ccxt's signatures take JS numbers. A decimal string with at most 15 significant digits
 * survives the trip exactly (ccxt turns it back into the same string with numberToString);
 * anything that would not is refused rather than silently changed.
 */
export function toNumber(text: string): number {
  const value = Number(text);
  if (decimalString(value) !== toDecimalString(text)) {
    throw new ccxt.InvalidOrder(`${text} cannot be sent without losing precision`);
  }
  return value;
}
