/**
 * Request parameters read the way Binance reads them (query string and form body together), with
 * Binance's errors for missing or malformed values.
 */
import { type Dec, dec } from '../../shared/money/decimal.ts';
import { errors } from './binance-errors.ts';

const DECIMAL = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;

export class Params {
  private readonly values: URLSearchParams;

  constructor(values: URLSearchParams) {
    this.values = values;
  }

  has(name: string): boolean {
    return this.string(name) !== undefined;
  }

  string(name: string): string | undefined {
    const value = this.values.get(name);
    return value === null || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw errors.mandatory(name);
    return value;
  }

  decimal(name: string): Dec | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!DECIMAL.test(value)) throw errors.illegalCharacters(name, '^([0-9]{1,20})(\\.[0-9]{1,20})?$');
    return dec(value);
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,20}$/.test(value)) throw errors.illegalCharacters(name, '^[0-9]{1,20}$');
    return Number(value);
  }

  /** `limit`, defaulting and capped as Binance does for the endpoint. */
  limit(fallback: number, max: number): number {
    const limit = this.integer('limit') ?? fallback;
    return Math.max(1, Math.min(limit, max));
  }

  /** `symbols=["BTCUSDT","ETHUSDT"]` (a JSON array), as ccxt sends it. */
  symbolList(): string[] | undefined {
    const raw = this.string('symbols');
    if (raw === undefined) return undefined;
    try {
      const list: unknown = JSON.parse(raw);
      if (Array.isArray(list) && list.every((s) => typeof s === 'string')) return list;
    } catch {
      // fall through to Binance's answer for a malformed list
    }
    throw errors.illegalCharacters('symbols', '^\\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\\]$');
  }
}
