/** How numbers appear in risk reasons: exact decimals, cut to 8 places so a sentence stays readable. */
import { type DecimalLike, dec } from '../money/decimal.ts';

export function show(value: DecimalLike): string {
  return dec(value).toDecimalPlaces(8).toFixed();
}

export function showTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'further notice';
}

/** An estimate in a reason ("about 98.9 USDT"): four significant digits. */
export function about(value: DecimalLike): string {
  return show(dec(value).toSignificantDigits(4));
}
