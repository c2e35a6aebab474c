/**
 * Exchange filters for a replayed market, so that ccxt's precision and limits behave as on the
 * real venue. Known pairs get Binance's real values; any other pair gets a grid derived from its
 * price level (about six significant digits of price, a lot worth about a tenth of the minimum
 * order) and the minimum notional Binance uses for its quote asset.
 */

import {
  derivedMarketSpec,
  type MarketFilters,
  minNotionalFor,
} from '../../shared/exchange/matching/market-grid.ts';
import type { MarketSpec } from '../../shared/exchange/matching/types.ts';
import type { DecimalLike } from '../../shared/money/decimal.ts';

export { type MarketFilters, minNotionalFor };

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
  return derivedMarketSpec({ symbol, base, quote }, typicalPrice, { ...KNOWN[symbol], ...filters });
}
