/**
 * Exchange filters for a market whose real filters we do not know, derived the way Binance
 * spot sets them: about six significant digits of price, the quote asset's minimum notional,
 * and a lot step of about a tenth of the minimum order. Used by the local exchange server and
 * the paper venue, so both refuse what the live venue would refuse. Explicit filters win.
 */
import { type DecimalLike, dec } from '../../money/decimal.ts';
import type { MarketSpec } from './types.ts';

export interface MarketFilters {
  tickSize?: DecimalLike;
  stepSize?: DecimalLike;
  minQty?: DecimalLike;
  maxQty?: DecimalLike;
  minPrice?: DecimalLike;
  maxPrice?: DecimalLike;
  minNotional?: DecimalLike;
}

const STABLE_QUOTES = new Set(['USDT', 'USDC', 'FDUSD', 'TUSD', 'BUSD', 'DAI', 'USD', 'EUR']);

/** Binance's minimum order value per quote asset (its NOTIONAL filter). */
export function minNotionalFor(quote: string): string {
  if (STABLE_QUOTES.has(quote)) return '5';
  if (quote === 'BTC') return '0.0001';
  if (quote === 'ETH') return '0.001';
  if (quote === 'BNB') return '0.01';
  return '1';
}

function powerOfTen(exponent: number): string {
  return dec(10)
    .pow(Math.max(-12, Math.min(12, exponent)))
    .toFixed();
}

/** The filters of a market given a reference price; the grid only changes when the price crosses a power of ten. */
export function derivedMarketSpec(
  market: { symbol: string; base: string; quote: string },
  referencePrice: DecimalLike,
  filters: MarketFilters = {},
): MarketSpec {
  const price = dec(referencePrice);
  const magnitude = price.gt(0) ? Math.floor(Math.log10(price.toNumber())) : 0;
  const minNotional = dec(filters.minNotional ?? minNotionalFor(market.quote));
  const notionalRatio = minNotional.div(price.gt(0) ? price : 1).toNumber();
  const tickSize = dec(filters.tickSize ?? powerOfTen(magnitude - 5));
  const stepSize = dec(
    filters.stepSize ?? powerOfTen(Math.min(0, Math.floor(Math.log10(notionalRatio)) - 1)),
  );
  return {
    symbol: market.symbol,
    base: market.base,
    quote: market.quote,
    tickSize,
    minPrice: dec(filters.minPrice ?? tickSize),
    maxPrice: dec(filters.maxPrice ?? powerOfTen(magnitude + 4)),
    stepSize,
    minQty: dec(filters.minQty ?? stepSize),
    maxQty: dec(filters.maxQty ?? '9000000'),
    minNotional,
  };
}
