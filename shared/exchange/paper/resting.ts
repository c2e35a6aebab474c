/**
 * Matching of one resting paper order against one new candle.
 *
 * This is `MatchingEngine.applyCandle` for a single order whose state was loaded from the
 * database: the engine keeps its book in memory and has no way to take an order back in, so the
 * paper venue applies the same rules here with the engine's own building blocks (trigger
 * detection, slippage, fee settlement, lot rounding, balance locks). Keep the two in step: the
 * rules are those documented in `../matching/engine.ts` —
 * - a stop (STOP_LOSS*, TAKE_PROFIT*) fires when the candle reaches its stop price (at the open
 *   when the candle gapped through it); a market-type stop then fills as taker with slippage and
 *   expires whatever it could not fill; a limit-type stop becomes a limit order, filled at once
 *   as taker when its limit is marketable at the trigger price;
 * - a working limit order fills as maker at its limit when the candle's range reaches it;
 * - with a partial-fill fraction, one candle fills at most that fraction of the original amount.
 * Pure: it mutates the order and the in-memory balances it is given and returns the new fills.
 */
import { type Dec, dec } from '../../money/decimal.ts';
import type { Balances } from '../matching/balances.ts';
import { type FeeSchedule, settleFill, worstRate } from '../matching/fees.ts';
import { slipped } from '../matching/quotes.ts';
import { OrderRejected } from '../matching/rejections.ts';
import { truncateToStep } from '../matching/rounding.ts';
import { actsAsLimit, triggerDirection, triggerPriceInCandle } from '../matching/triggers.ts';
import type { Candle, MarketSpec, Order, OrderStatus, Side } from '../matching/types.ts';

export interface RestingContext {
  market: MarketSpec;
  fees: FeeSchedule;
  slippageBps: Dec;
  /** The venue's default partial-fill fraction (an order's own fraction wins). */
  partialFillFraction: Dec | undefined;
  balances: Balances;
  nextTradeId: () => number;
}

export function isOpenStatus(status: OrderStatus): boolean {
  return status === 'NEW' || status === 'PARTIALLY_FILLED';
}

/** Applies `candle` to an open order. Returns true when the order changed. */
export function matchRestingOrder(ctx: RestingContext, order: Order, candle: Candle, now: number): boolean {
  if (!isOpenStatus(order.status)) return false;
  let triggeredNow = false;
  if (order.workingTime === undefined) {
    const reference = triggerPriceInCandle(triggerDirection(order.type, order.side), order.stopPrice, candle);
    if (reference === undefined) return false;
    order.workingTime = now;
    order.updateTime = now;
    triggeredNow = true;
    if (!actsAsLimit(order.type)) {
      takeNow(ctx, order, slipped(ctx.market, order.side, reference, ctx.slippageBps), now);
      finish(ctx, order, 'EXPIRED', now);
      return true;
    }
    if (isMarketable(order.side, order.price, reference)) {
      const taker = slipped(ctx.market, order.side, reference, ctx.slippageBps);
      const price = order.side === 'BUY' ? minOf(order.price, taker) : maxOf(order.price, taker);
      takeNow(ctx, order, price, now);
      return true;
    }
  }
  const reached = order.side === 'BUY' ? candle.low.lte(order.price) : candle.high.gte(order.price);
  if (!reached) return triggeredNow;
  fill(ctx, order, chunk(ctx, order), order.price, true, now);
  return true;
}

/** A taker fill of the next chunk; an account that cannot pay expires the order. */
function takeNow(ctx: RestingContext, order: Order, price: Dec, now: number): void {
  try {
    fill(ctx, order, chunk(ctx, order), price, false, now);
  } catch (error) {
    if (!(error instanceof OrderRejected)) throw error;
    finish(ctx, order, 'EXPIRED', now);
  }
}

function fill(ctx: RestingContext, order: Order, qty: Dec, price: Dec, isMaker: boolean, now: number): void {
  const settlement = settleFill(ctx.market, order.side, qty, price, isMaker, ctx.fees);
  const fromLocked =
    order.lockedAsset === settlement.pay.asset ? minOf(order.locked, settlement.pay.amount) : dec(0);
  ctx.balances.debit(order.account, settlement.pay.asset, settlement.pay.amount, fromLocked);
  ctx.balances.credit(order.account, settlement.receive.asset, settlement.receive.amount);
  order.locked = order.locked.minus(fromLocked);
  const quoteQty = price.mul(qty);
  order.fills.push({
    tradeId: ctx.nextTradeId(),
    orderId: order.orderId,
    account: order.account,
    symbol: order.symbol,
    side: order.side,
    price,
    qty,
    quoteQty,
    commission: settlement.commission,
    commissionAsset: settlement.commissionAsset,
    isMaker,
    time: now,
  });
  order.executedQty = order.executedQty.plus(qty);
  order.cummulativeQuoteQty = order.cummulativeQuoteQty.plus(quoteQty);
  order.updateTime = now;
  if (order.executedQty.gte(order.origQty)) {
    finish(ctx, order, 'FILLED', now);
  } else {
    order.status = 'PARTIALLY_FILLED';
    releaseExcess(ctx, order);
  }
}

/** Ends an open order and gives back whatever it still holds. */
export function finish(
  ctx: Pick<RestingContext, 'balances'>,
  order: Order,
  status: OrderStatus,
  now: number,
): void {
  if (!isOpenStatus(order.status)) return;
  order.status = status;
  order.updateTime = now;
  if (order.locked.gt(0)) ctx.balances.unlock(order.account, order.lockedAsset, order.locked);
  order.locked = dec(0);
}

function releaseExcess(ctx: RestingContext, order: Order): void {
  const excess = order.locked.minus(requiredLock(ctx.fees, order));
  if (excess.gt(0)) {
    ctx.balances.unlock(order.account, order.lockedAsset, excess);
    order.locked = order.locked.minus(excess);
  }
}

/** What a resting order holds: base for a sell; for a buy, quote at its limit (or stop) price. */
function requiredLock(fees: FeeSchedule, order: Order): Dec {
  const remaining = order.origQty.minus(order.executedQty);
  if (order.side === 'SELL') return remaining;
  const unit = actsAsLimit(order.type) ? order.price : order.stopPrice;
  const notional = unit.mul(remaining);
  return fees.mode === 'quote' ? notional.mul(worstRate(fees).plus(1)) : notional;
}

function chunk(ctx: RestingContext, order: Order): Dec {
  const remaining = order.origQty.minus(order.executedQty);
  const f = order.partialFillFraction ?? ctx.partialFillFraction;
  if (f === undefined) return remaining;
  const part = truncateToStep(order.origQty.mul(f), ctx.market.stepSize);
  const atLeastOneStep = part.gt(0) ? part : ctx.market.stepSize;
  return minOf(atLeastOneStep, remaining);
}

function isMarketable(side: Side, limit: Dec, reference: Dec): boolean {
  return side === 'BUY' ? limit.gte(reference) : limit.lte(reference);
}

function minOf(a: Dec, b: Dec): Dec {
  return a.lt(b) ? a : b;
}

function maxOf(a: Dec, b: Dec): Dec {
  return a.gt(b) ? a : b;
}
