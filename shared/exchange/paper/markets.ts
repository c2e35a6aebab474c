/**
 * The markets of the paper venue: symbol ↔ base/quote, and the exchange filters its orders must
 * pass. Paper trading is only worth something if it refuses what the live venue would refuse
 * (an off-tick price, an amount off the lot step, dust below the minimum notional), so the
 * defaults follow Binance spot: six significant digits of price, the quote asset's minimum
 * notional, and a lot step of about a tenth of the minimum order. Configured filters win.
 */
import { type DecimalLike, toDecimalString } from '../../money/decimal.ts';
import type { FeeSchedule } from '../matching/fees.ts';
import { derivedMarketSpec, type MarketFilters, minNotionalFor } from '../matching/market-grid.ts';
import type { MarketSpec } from '../matching/types.ts';
import type { MarketInfo } from '../port.ts';

export type PaperMarketFilters = MarketFilters;
export { minNotionalFor };

/** `BTC/USDT` → BTC, USDT (a `:SETTLE` suffix is refused: the paper venue is spot only). */
export function splitSymbol(symbol: string): { base: string; quote: string } {
  const match = /^([A-Z0-9]+)\/([A-Z0-9]+)$/.exec(symbol);
  if (!match) throw new Error(`paper exchange: "${symbol}" is not a spot symbol like BTC/USDT`);
  return { base: match[1]!, quote: match[2]! };
}

/** The filters of `symbol`, derived from a reference price (the latest close) unless configured. */
export function paperMarketSpec(
  symbol: string,
  referencePrice: DecimalLike,
  filters: PaperMarketFilters = {},
): MarketSpec {
  return derivedMarketSpec({ symbol, ...splitSymbol(symbol) }, referencePrice, filters);
}

/**
 * The port's view of a market. Stop-loss and take-profit are native on the paper venue; spot has
 * no reduce-only. With the venue's fee schedule, the market says where a buy's fee is taken
 * (`received-asset`: from the base bought, as Binance does; `quote`: added to the cost).
 */
export function marketInfo(spec: MarketSpec, fees?: FeeSchedule): MarketInfo {
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
    ...(fees && {
      fees: {
        maker: toDecimalString(fees.maker),
        taker: toDecimalString(fees.taker),
        buyFeeAsset: fees.mode === 'received-asset' ? 'base' : 'quote',
      },
    }),
  };
}
