/**
 * The exchange filters an order must pass before it is accepted (Binance's PRICE_FILTER,
 * LOT_SIZE and NOTIONAL). Failing one rejects the order; nothing is rounded on the client's
 * behalf, so a client that forgets to round to precision learns it here as it would live.
 */
import type { Dec } from '../../money/decimal.ts';
import { OrderRejected } from './rejections.ts';
import { isOnGrid } from './rounding.ts';
import type { MarketSpec } from './types.ts';

export function checkPrice(market: MarketSpec, price: Dec): void {
  const ok =
    price.gt(0) &&
    price.gte(market.minPrice) &&
    price.lte(market.maxPrice) &&
    isOnGrid(price, market.tickSize);
  if (!ok) throw new OrderRejected('filter', 'Filter failure: PRICE_FILTER', 'PRICE_FILTER');
}

export function checkQuantity(market: MarketSpec, qty: Dec): void {
  const ok =
    qty.gt(0) &&
    qty.gte(market.minQty) &&
    qty.lte(market.maxQty) &&
    isOnGrid(qty, market.stepSize, market.minQty);
  if (!ok) throw new OrderRejected('filter', 'Filter failure: LOT_SIZE', 'LOT_SIZE');
}

export function checkNotional(market: MarketSpec, price: Dec, qty: Dec): void {
  if (price.mul(qty).lt(market.minNotional)) {
    throw new OrderRejected('filter', 'Filter failure: NOTIONAL', 'NOTIONAL');
  }
}
