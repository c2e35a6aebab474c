/**
 * Trading fees and how a fill moves balances.
 *
 * Fees are kept at full precision (see `shared/money/decimal.ts`): rounding them would make the
 * sum of fills disagree with the balance change.
 */
import { type Dec, type DecimalLike, dec } from '../../money/decimal.ts';
import type { FeeMode, MarketSpec, Side } from './types.ts';

export interface FeeSchedule {
  maker: Dec;
  taker: Dec;
  mode: FeeMode;
}

/** Binance's default spot rate, 0.1 % for maker and taker, charged in the received asset. */
export function feeSchedule(
  options: { maker?: DecimalLike; taker?: DecimalLike; mode?: FeeMode } = {},
): FeeSchedule {
  return {
    maker: dec(options.maker ?? '0.001'),
    taker: dec(options.taker ?? '0.001'),
    mode: options.mode ?? 'received-asset',
  };
}

/** What one fill does to the trader's balances. */
export interface Settlement {
  commission: Dec;
  commissionAsset: string;
  /** Asset and amount leaving the account. */
  pay: { asset: string; amount: Dec };
  /** Asset and amount arriving in the account (net of fees). */
  receive: { asset: string; amount: Dec };
}

export function settleFill(
  market: MarketSpec,
  side: Side,
  qty: Dec,
  price: Dec,
  isMaker: boolean,
  fees: FeeSchedule,
): Settlement {
  const rate = isMaker ? fees.maker : fees.taker;
  const quoteQty = price.mul(qty);
  if (side === 'BUY') {
    if (fees.mode === 'received-asset') {
      const commission = qty.mul(rate);
      return {
        commission,
        commissionAsset: market.base,
        pay: { asset: market.quote, amount: quoteQty },
        receive: { asset: market.base, amount: qty.minus(commission) },
      };
    }
    const commission = quoteQty.mul(rate);
    return {
      commission,
      commissionAsset: market.quote,
      pay: { asset: market.quote, amount: quoteQty.plus(commission) },
      receive: { asset: market.base, amount: qty },
    };
  }
  // A sell pays out quote in both modes, so the fee comes out of the proceeds.
  const commission = quoteQty.mul(rate);
  return {
    commission,
    commissionAsset: market.quote,
    pay: { asset: market.base, amount: qty },
    receive: { asset: market.quote, amount: quoteQty.minus(commission) },
  };
}

/** The worst fee rate an order can be charged, used to size what a buy in quote-fee mode must hold. */
export function worstRate(fees: FeeSchedule): Dec {
  return fees.maker.gt(fees.taker) ? fees.maker : fees.taker;
}
