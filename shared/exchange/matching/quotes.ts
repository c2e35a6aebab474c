/**
 * Best bid/ask around the last price, and the price a taker gets after slippage.
 *
 * A replayed candle has no order book, so the book is modelled as a spread around the close:
 * half the configured spread (at least one tick) on each side. Slippage moves a taker's price
 * further against it, in basis points.
 */
import { type Dec, dec } from '../../money/decimal.ts';
import { ceilToTick, floorToTick, roundAgainstTaker } from './rounding.ts';
import type { MarketSpec, Quote, Side } from './types.ts';

const BPS = dec(10_000);

export function quoteAround(market: MarketSpec, last: Dec, spreadBps: Dec, time: number): Quote {
  const half = ceilToTick(last.mul(spreadBps).div(BPS).div(2), market.tickSize);
  const halfSpread = half.gt(market.tickSize) ? half : market.tickSize;
  const bid = floorToTick(last.minus(halfSpread), market.tickSize);
  return {
    last,
    bid: bid.gt(0) ? bid : market.tickSize,
    ask: ceilToTick(last.plus(halfSpread), market.tickSize),
    time,
  };
}

/** The price a taker on `side` pays or receives when its reference price is `reference`. */
export function slipped(market: MarketSpec, side: Side, reference: Dec, slippageBps: Dec): Dec {
  const factor = side === 'BUY' ? BPS.plus(slippageBps) : BPS.minus(slippageBps);
  return roundAgainstTaker(reference.mul(factor).div(BPS), side, market.tickSize);
}

/** The price a market order on `side` fills at now. */
export function takerPrice(market: MarketSpec, side: Side, quote: Quote, slippageBps: Dec): Dec {
  return slipped(market, side, side === 'BUY' ? quote.ask : quote.bid, slippageBps);
}
