/**
 * Binance spot market-data endpoints, answered from the replayed candles.
 */

import { truncateToStep } from '../../shared/exchange/matching/rounding.ts';
import type { Dec } from '../../shared/money/decimal.ts';
import { errors } from './binance-errors.ts';
import { klineJson, num, symbolInfoJson, ticker24hrJson } from './binance-json.ts';
import { intervalMs } from './intervals.ts';
import type { Params } from './params.ts';
import type { ReplayFeed } from './replay.ts';
import type { Venue } from './venue.ts';

export type PublicHandler = (venue: Venue, params: Params) => unknown;

const DAY_MS = 86_400_000;

/** The feeds a ticker-style request names: `symbol`, `symbols`, or all of them. */
function selectedFeeds(venue: Venue, params: Params): { feeds: ReplayFeed[]; single: boolean } {
  const symbol = params.string('symbol');
  if (symbol !== undefined) return { feeds: [venue.feed(symbol)], single: true };
  const symbols = params.symbolList();
  if (symbols !== undefined) return { feeds: symbols.map((s) => venue.feed(s)), single: false };
  return { feeds: venue.feedList(), single: false };
}

function answer(list: unknown[], single: boolean): unknown {
  return single ? list[0] : list;
}

/** Quantity shown at each level of the synthetic book: a tenth of the current candle's volume. */
function bookQty(feed: ReplayFeed): Dec {
  const market = feed.market;
  const fromVolume = truncateToStep(feed.current().volume.div(10), market.stepSize);
  const floor = market.minQty.mul(1000);
  return fromVolume.gt(floor) ? fromVolume : floor;
}

function quoteOf(venue: Venue, feed: ReplayFeed) {
  const quote = venue.engine.quote(feed.symbol);
  if (!quote) throw errors.invalidSymbol();
  return quote;
}

export const publicRoutes: Record<string, PublicHandler> = {
  'GET /api/v3/ping': () => ({}),

  'GET /api/v3/time': (venue) => ({ serverTime: venue.now() }),

  'GET /api/v3/exchangeInfo': (venue, params) => {
    const { feeds } = selectedFeeds(venue, params);
    return {
      timezone: 'UTC',
      serverTime: venue.now(),
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 200000 },
      ],
      exchangeFilters: [],
      symbols: feeds.map((f) => symbolInfoJson(f.market)),
    };
  },

  'GET /api/v3/ticker/24hr': (venue, params) => {
    const { feeds, single } = selectedFeeds(venue, params);
    const tickers = feeds.map((feed) => {
      const now = feed.now();
      const window = feed.visible().filter((c) => c.openTime >= now - DAY_MS);
      return ticker24hrJson(feed.market, window, quoteOf(venue, feed), bookQty(feed), now);
    });
    return answer(tickers, single);
  },

  // The rolling-window ticker (ccxt's `rolling: true`); the window is always 24 h here.
  'GET /api/v3/ticker': (venue, params) => publicRoutes['GET /api/v3/ticker/24hr']!(venue, params),

  'GET /api/v3/ticker/price': (venue, params) => {
    const { feeds, single } = selectedFeeds(venue, params);
    return answer(
      feeds.map((f) => ({ symbol: f.symbol, price: num(quoteOf(venue, f).last) })),
      single,
    );
  },

  'GET /api/v3/ticker/bookTicker': (venue, params) => {
    const { feeds, single } = selectedFeeds(venue, params);
    return answer(
      feeds.map((f) => {
        const quote = quoteOf(venue, f);
        const qty = num(bookQty(f));
        return {
          symbol: f.symbol,
          bidPrice: num(quote.bid),
          bidQty: qty,
          askPrice: num(quote.ask),
          askQty: qty,
        };
      }),
      single,
    );
  },

  'GET /api/v3/avgPrice': (venue, params) => {
    const feed = venue.feed(params.required('symbol'));
    return { mins: 5, price: num(quoteOf(venue, feed).last), closeTime: feed.now() };
  },

  'GET /api/v3/klines': (venue, params) => klines(venue, params),
  'GET /api/v3/uiKlines': (venue, params) => klines(venue, params),

  'GET /api/v3/depth': (venue, params) => {
    const feed = venue.feed(params.required('symbol'));
    const quote = quoteOf(venue, feed);
    const levels = params.limit(100, 5000);
    const tick = feed.market.tickSize;
    const qty = num(bookQty(feed));
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let i = 0; i < levels; i++) {
      const bid = quote.bid.minus(tick.mul(i));
      if (bid.gt(0)) bids.push([num(bid), qty]);
      asks.push([num(quote.ask.plus(tick.mul(i))), qty]);
    }
    return { lastUpdateId: feed.current().openTime, bids, asks };
  },
};

/**
 * GET /api/v3/klines. Intervals that are a multiple of the feed's interval are aggregated from it;
 * finer ones cannot be invented and answer -1120.
 */
function klines(venue: Venue, params: Params): unknown[] {
  const feed = venue.feed(params.required('symbol'));
  const target = intervalMs(params.required('interval'));
  if (target === undefined || target < feed.intervalMs || target % feed.intervalMs !== 0) {
    throw errors.invalidInterval();
  }
  const startTime = params.integer('startTime');
  const endTime = params.integer('endTime');
  const limit = params.limit(500, 1000);
  let candles = feed.aggregated(target);
  if (startTime !== undefined) candles = candles.filter((c) => c.openTime >= startTime);
  if (endTime !== undefined) candles = candles.filter((c) => c.openTime <= endTime);
  candles = startTime !== undefined ? candles.slice(0, limit) : candles.slice(-limit);
  return candles.map((c) => klineJson(c, target));
}
