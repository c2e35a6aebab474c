/**
 * A real `ccxt.binance` client pointed at a local exchange server (or any Binance-compatible base
 * URL). Only configuration changes, never ccxt's code:
 *
 * - every `urls.api` entry is rebased onto `baseUrl`, keeping its path (`/api/v3`, `/sapi/v1`, …),
 *   so no request can leave for the real Binance;
 * - markets are loaded from spot only, without the private currency and margin endpoints
 *   (`fetchCurrencies: false`, `fetchMargins: false`);
 * - ccxt's automatic retries stay off (`maxRetriesOnFailure: 0`): a retried order creation is
 *   exactly the duplicate order this project must never send;
 * - ccxt picks its Binance error table by host name (`getExceptionsByUrl`), which a loopback URL
 *   does not match; the spot table is merged into the general one so errors are classified as
 *   they are against api.binance.com.
 */
import ccxt from 'ccxt';

export interface BinanceCredentials {
  apiKey: string;
  secret: string;
}

type ErrorTable = Record<string, unknown>;
interface ExceptionTables {
  exact?: ErrorTable;
  broad?: ErrorTable;
  spot?: { exact?: ErrorTable; broad?: ErrorTable };
}

/** `urls.api` of ccxt's binance, rebased onto `baseUrl`. */
export function localBinanceUrls(baseUrl: string): Record<string, string> {
  const base = baseUrl.replace(/\/+$/, '');
  const defaults = new ccxt.binance().urls['api'] as Record<string, string>;
  const api: Record<string, string> = {};
  for (const [name, url] of Object.entries(defaults)) api[name] = base + new URL(url).pathname;
  return api;
}

/**
 * `new ccxt.binance(…)` against `baseUrl`. `overrides` are merged last (e.g. `{ timeout: 500 }`,
 * `{ enableRateLimit: false }`).
 */
export function binanceAgainst(
  baseUrl: string,
  credentials: BinanceCredentials,
  overrides: Record<string, unknown> = {},
): InstanceType<typeof ccxt.binance> {
  const overrideOptions = (overrides['options'] ?? {}) as Record<string, unknown>;
  const exchange = new ccxt.binance({
    ...overrides,
    apiKey: credentials.apiKey,
    secret: credentials.secret,
    urls: { api: localBinanceUrls(baseUrl) },
    options: {
      fetchMarkets: { types: ['spot'] },
      fetchCurrencies: false,
      fetchMargins: false,
      adjustForTimeDifference: false,
      maxRetriesOnFailure: 0,
      ...overrideOptions,
    },
  });
  const tables = exchange.exceptions as ExceptionTables;
  tables.exact = { ...tables.exact, ...tables.spot?.exact };
  tables.broad = { ...tables.broad, ...tables.spot?.broad };
  return exchange;
}
