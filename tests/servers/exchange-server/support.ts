/**
 * Builders for tests that run the local exchange and talk to it with the real ccxt client.
 * Prices follow a scripted candle path so every fill is predictable.
 */
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import type { CandleRow } from '../../../platform/exchange-server/feeds.ts';
import {
  type ExchangeServer,
  type ExchangeServerOptions,
  startExchangeServer,
} from '../../../platform/exchange-server/server.ts';

/** Open time of the first scripted candle. */
export const T0 = Date.UTC(2024, 0, 1);
export const MINUTE = 60_000;

/** A 1-minute candle `i` minutes after T0. */
export function bar(i: number, open: number, high: number, low: number, close: number): CandleRow {
  return [T0 + i * MINUTE, open, high, low, close, 12];
}

/** A candle that opens, trades and closes at one price. */
export function flat(i: number, price: number): CandleRow {
  return bar(i, price, price, price, price);
}

const running: ExchangeServer[] = [];

/**
 * A server trading BTC/USDT (Binance's real filters: tick 0.01, step 0.00001, min notional 5)
 * along `candles`, starting at the first one, so bid/ask start one tick around its close.
 */
export async function exchangeWith(
  candles: CandleRow[],
  options: Partial<ExchangeServerOptions> = {},
): Promise<ExchangeServer> {
  const server = await startExchangeServer({
    feeds: [{ symbol: 'BTC/USDT', interval: '1m', candles }],
    ...options,
  });
  running.push(server);
  return server;
}

export async function closeExchanges(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

let keys = 0;

/** A fresh API key, so every client starts with a fresh account. */
export function freshKey(): string {
  keys += 1;
  return `test-key-${process.pid}-${keys}`;
}

/** The real ccxt binance client against `server`, with a fresh account unless credentials are given. */
export function clientOf(
  server: ExchangeServer,
  overrides: Record<string, unknown> = {},
  credentials = { apiKey: freshKey(), secret: 'test-secret' },
) {
  return binanceAgainst(server.url, credentials, { enableRateLimit: false, timeout: 5_000, ...overrides });
}

/** Calls the `/__control` API over HTTP. */
export async function control(
  server: ExchangeServer,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on the JSON answer's shape themselves
): Promise<any> {
  const response = await fetch(`${server.url}/__control/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}
