/**
 * The markets of the paper venue: symbol ↔ base/quote, and the exchange filters its orders must
 * pass. Paper trading is only worth something if it refuses what the live venue would refuse
 * (an off-tick price, an amount off the lot step, dust below the minimum notional), so the
 * defaults follow Binance spot: six significant digits of price, the quote asset's minimum
 * notional, and a lot step of about a tenth of the minimum order. Configured filters win.
 */
import { type DecimalLike, dec } from '../../money/decimal.ts';
import type { MarketSpec } from '../matching/types.ts';
import type { MarketInfo } from '../port.ts';

export interface PaperMarketFilters {
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

/** `BTC/USDT` → BTC, USDT (a `:SETTLE` suffix is refused: the paper venue is spot only). */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  const match = /^([A-Z0-9]+)\/([A-Z0-9]+)$/.exec(symbol);
  if (!match) throw new Error(`paper exchange: "${symbol}" is not a spot symbol like BTC/USDT`);
  return { base: match[1]!, quote: match[2]! };
}

function powerOfTen(exponent: number): string {
  return dec(10)
    .pow(Math.max(-12, Math.min(12, exponent)))
    .toFixed();
}

/**
 * The filters of `symbol`, derived from a reference price (the latest close) unless configured.
 * The derived grid only changes when the price crosses a power of ten.
 */
export function paperMarketSpec(
  symbol: string,
  referencePrice: DecimalLike,
  filters: PaperMarketFilters = {},
): MarketSpec {
  const { base, quote } = splitSymbol(symbol);
  const price = dec(referencePrice);
  const magnitude = price.gt(0) ? Math.floor(Math.log10(price.toNumber())) : 0;
  const minNotional = dec(filters.minNotional ?? minNotionalFor(quote));
  const notionalRatio = minNotional.div(price.gt(0) ? price : 1).toNumber();
  const tickSize = dec(filters.tickSize ?? powerOfTen(magnitude - 5));
  const stepSize = dec(
    filters.stepSize ?? powerOfTen(Math.min(0, Math.floor(Math.log10(notionalRatio)) - 1)),
  );
  return {
    symbol,
    base,
    quote,
    tickSize,
    minPrice: dec(filters.minPrice ?? tickSize),
    maxPrice: dec(filters.maxPrice ?? powerOfTen(magnitude + 4)),
    stepSize,
    minQty: dec(filters.minQty ?? stepSize),
    maxQty: dec(filters.maxQty ?? '9000000'),
    minNotional,
  };
}

/** The port's view of a market. Stop-loss and take-profit are native on the paper venue; spot has no reduce-only. */
export function marketInfo(spec: MarketSpec): MarketInfo {
  return {
    symbol: spec.symbol,
    base: spec.base,
    quote: spec.quote,
    amountStep: spec.stepSize.toFixed(),
    priceTick: spec.tickSize.toFixed(),
    minAmount: spec.minQty.toFixed(),
    minNotional: spec.minNotional.toFixed(),
    nativeStopLoss: true,
    nativeTakeProfit: true,
    reduceOnly: false,
  };
}
