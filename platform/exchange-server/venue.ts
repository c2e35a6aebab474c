/**
 * The simulated venue behind the HTTP server: the matching engine, one replay feed per market,
 * the accounts (one per API key, created and funded on first use) and the replay clock.
 */

import { MatchingEngine, type MatchingEngineOptions } from '../../shared/exchange/matching/engine.ts';
import { type DecimalLike, dec } from '../../shared/money/decimal.ts';
import { ApiKeys } from './auth.ts';
import { errors } from './binance-errors.ts';
import type { ReplayFeed } from './replay.ts';

/** Starting balance of each quote asset when nothing else is configured. */
export function defaultStartingBalance(asset: string): string {
  if (asset === 'BTC') return '1';
  if (asset === 'ETH') return '10';
  if (asset === 'BNB') return '50';
  return '10000';
}

export interface VenueOptions extends MatchingEngineOptions {
  feeds: ReplayFeed[];
  /**
   * What a new account starts with: one amount for every quote asset, or amounts per asset
   * (quote assets not listed get `defaultStartingBalance`).
   */
  startingBalance?: DecimalLike | Record<string, DecimalLike>;
  /** Answer -2015 to API keys that were not registered. */
  strictApiKeys?: boolean;
}

/**
 * What an API key may do, as Binance's `GET /sapi/v1/account/apiRestrictions` reports it.
 * Keys read and trade spot by default and cannot withdraw; tests set other flags through
 * `POST /__control/accounts { apiKey, restrictions }`.
 */
export interface ApiRestrictions {
  ipRestrict: boolean;
  enableReading: boolean;
  enableSpotAndMarginTrading: boolean;
  enableWithdrawals: boolean;
  enableInternalTransfer: boolean;
  enableMargin: boolean;
  enableFutures: boolean;
  permitsUniversalTransfer: boolean;
  enableVanillaOptions: boolean;
  enablePortfolioMarginTrading: boolean;
}

export const DEFAULT_API_RESTRICTIONS: ApiRestrictions = {
  ipRestrict: false,
  enableReading: true,
  enableSpotAndMarginTrading: true,
  enableWithdrawals: false,
  enableInternalTransfer: false,
  enableMargin: false,
  enableFutures: false,
  permitsUniversalTransfer: false,
  enableVanillaOptions: false,
  enablePortfolioMarginTrading: false,
};

export interface StepResult {
  symbol: string;
  openTime: number;
  close: string;
  /** False when a file-backed feed had no more candles. */
  advanced: boolean;
}

export class Venue {
  readonly engine: MatchingEngine;
  readonly keys: ApiKeys;
  private readonly feeds = new Map<string, ReplayFeed>();
  private readonly startingBalances: Record<string, string>;
  private readonly restrictions = new Map<string, ApiRestrictions>();

  constructor(options: VenueOptions) {
    if (options.feeds.length === 0) throw new Error('the venue needs at least one market feed');
    this.engine = new MatchingEngine(options);
    this.keys = new ApiKeys(options.strictApiKeys ?? false);
    for (const feed of options.feeds) {
      if (this.feeds.has(feed.symbol)) throw new Error(`two feeds for ${feed.symbol}`);
      this.feeds.set(feed.symbol, feed);
      this.engine.listMarket(feed.market);
      this.engine.applyCandle(feed.symbol, feed.current(), feed.now());
    }
    this.startingBalances = startingBalances(this.quoteAssets(), options.startingBalance);
  }

  feedList(): ReplayFeed[] {
    return [...this.feeds.values()];
  }

  /** The feed of a Binance symbol id; -1121 when there is none. */
  feed(symbol: string): ReplayFeed {
    const feed = this.feeds.get(symbol);
    if (!feed) throw errors.invalidSymbol();
    return feed;
  }

  /** Server time: the clock of the first market. */
  now(): number {
    return this.feedList()[0]!.now();
  }

  quoteAssets(): string[] {
    return [...new Set(this.feedList().map((f) => f.market.quote))];
  }

  /** Creates the account of an API key on its first use, funded in every quote asset. */
  ensureAccount(apiKey: string): void {
    if (!this.engine.hasAccount(apiKey)) this.engine.openAccount(apiKey, this.startingBalances);
  }

  /**
   * Registers a key ahead of use: its secret (so signatures are verified) and optionally its
   * balances and API restrictions.
   */
  registerAccount(
    apiKey: string,
    options: {
      secret?: string;
      balances?: Record<string, DecimalLike>;
      restrictions?: Partial<ApiRestrictions>;
    } = {},
  ): void {
    this.keys.register(apiKey, options.secret);
    if (options.restrictions) {
      this.restrictions.set(apiKey, { ...this.apiRestrictions(apiKey), ...options.restrictions });
    }
    if (options.balances) this.engine.openAccount(apiKey, options.balances);
    else this.ensureAccount(apiKey);
  }

  /** The key's restrictions (the defaults unless registered otherwise). */
  apiRestrictions(apiKey: string): ApiRestrictions {
    return this.restrictions.get(apiKey) ?? DEFAULT_API_RESTRICTIONS;
  }

  /** Advances every feed (or one) by `count` candles, matching resting orders on each. */
  step(count = 1, symbol?: string): StepResult[] {
    const feeds = symbol === undefined ? this.feedList() : [this.feed(symbol)];
    const results: StepResult[] = [];
    for (const feed of feeds) {
      let advanced = false;
      for (let i = 0; i < count; i++) {
        const candle = feed.advance();
        if (!candle) break;
        advanced = true;
        this.engine.applyCandle(feed.symbol, candle, feed.now());
      }
      const current = feed.current();
      results.push({
        symbol: feed.symbol,
        openTime: current.openTime,
        close: current.close.toFixed(),
        advanced,
      });
    }
    return results;
  }
}

function startingBalances(
  quotes: string[],
  configured: DecimalLike | Record<string, DecimalLike> | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const asset of quotes) {
    if (configured === undefined) result[asset] = defaultStartingBalance(asset);
    else if (typeof configured === 'object' && !('toFixed' in configured)) {
      result[asset] = dec(configured[asset] ?? defaultStartingBalance(asset)).toFixed();
    } else result[asset] = dec(configured as DecimalLike).toFixed();
  }
  if (configured !== undefined && typeof configured === 'object' && !('toFixed' in configured)) {
    for (const [asset, amount] of Object.entries(configured)) result[asset] = dec(amount).toFixed();
  }
  return result;
}
