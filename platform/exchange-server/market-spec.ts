/**
 * Exchange filters for a replayed market, so that ccxt's precision and limits behave as on the
 * real venue. Known pairs get Binance's real values; any other pair gets a grid derived from its
 * price level (about six significant digits of price, a lot worth about a tenth of the minimum
 * order) and the minimum notional Binance uses for its quote asset.
 */

import type { MarketSpec } from '../../shared/exchange/matching/types.ts';
import { type DecimalLike, dec } from '../../shared/money/decimal.ts';

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

/** Binance's minimum order value per quote asset (NOTIONAL filter). */
export function minNotionalFor(quote: string): string {
  if (STABLE_QUOTES.has(quote)) return '5';
  if (quote === 'BTC') return '0.0001';
  if (quote === 'ETH') return '0.001';
  if (quote === 'BNB') return '0.01';
  return '1';
}

/** Real Binance filters for pairs a test is likely to use, so numbers look familiar. */
const KNOWN: Record<string, MarketFilters> = {
  BTCUSDT: { tickSize: '0.01', stepSize: '0.00001', maxQty: '9000', minPrice: '0.01', maxPrice: '1000000' },
  ETHUSDT: { tickSize: '0.01', stepSize: '0.0001', maxQty: '9000', minPrice: '0.01', maxPrice: '1000000' },
  ETHBTC: {
    tickSize: '0.00001',
    stepSize: '0.0001',
    maxQty: '100000',
    minPrice: '0.00001',
    maxPrice: '922327',
  },
  LTCBTC: {
    tickSize: '0.000001',
    stepSize: '0.001',
    maxQty: '100000',
    minPrice: '0.000001',
    maxPrice: '100000',
  },
  ADABTC: {
    tickSize: '0.00000001',
    stepSize: '0.1',
    maxQty: '90000000',
    minPrice: '0.00000001',
    maxPrice: '1000',
  },
  XRPETH: {
    tickSize: '0.0000001',
    stepSize: '1',
    maxQty: '90000000',
    minPrice: '0.0000001',
    maxPrice: '1000',
  },
  XRPUSDT: { tickSize: '0.0001', stepSize: '0.1', maxQty: '9222449', minPrice: '0.0001', maxPrice: '1000' },
};

function powerOfTen(exponent: number): string {
  const clamped = Math.max(-8, Math.min(8, exponent));
  return dec(10).pow(clamped).toFixed();
}

/**
 * The filters of `base`/`quote`, given a typical price. Explicit `filters` win over Binance's
 * known values, which win over the derived grid.
 */
export function marketSpec(
  base: string,
  quote: string,
  typicalPrice: DecimalLike,
  filters: MarketFilters = {},
): MarketSpec {
  const symbol = base + quote;
  const price = Number(dec(typicalPrice).toString());
  const magnitude = Math.floor(Math.log10(price > 0 ? price : 1));
  const minNotional = filters.minNotional ?? minNotionalFor(quote);
  const derivedTick = powerOfTen(magnitude - 5);
  const derivedStep = powerOfTen(Math.min(0, Math.floor(Math.log10(Number(minNotional) / (price || 1))) - 1));
  const merged = { ...KNOWN[symbol], ...filters };
  const tickSize = dec(merged.tickSize ?? derivedTick);
  const stepSize = dec(merged.stepSize ?? derivedStep);
  return {
    symbol,
    base,
    quote,
    tickSize,
    minPrice: dec(merged.minPrice ?? tickSize),
    maxPrice: dec(merged.maxPrice ?? powerOfTen(magnitude + 4)),
    stepSize,
    minQty: dec(merged.minQty ?? stepSize),
    maxQty: dec(merged.maxQty ?? '9000000'),
    minNotional: dec(minNotional),
  };
}
