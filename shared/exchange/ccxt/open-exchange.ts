/**
 * Builds the configured ccxt client of one exchange account and wraps it in the adapter.
 *
 * - Any ccxt exchange id (binance, coinbase, kraken, …); an unknown id is refused by name.
 * - mode `testnet`: ccxt's sandbox URLs (`setSandboxMode(true)`) where the exchange has them.
 *   ccxt's own check only asks whether a `test` key exists, and some exchanges carry the key
 *   with no URLs behind it, so the URLs are checked here first: an account must never fall
 *   through to an undefined (or the live) endpoint.
 * - `urls` replaces URL entries after that (tests point `api` at a local exchange server).
 * - ccxt's automatic retries are forced off, whatever `options` says: a retried order
 *   creation is a duplicate order.
 * - open orders of every market (no symbol) may be asked for: the port promises it.
 */
import ccxt, { type Exchange as CcxtClient } from 'ccxt';
import { CcxtExchange, type CcxtExchangeOptions } from './ccxt-exchange.ts';

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  /** Passphrase (coinbase exchange, okx, kucoin). */
  password?: string;
  uid?: string;
}

export interface CcxtAccountConfig {
  /** A ccxt exchange id, e.g. "binance". */
  exchangeId: string;
  mode: 'testnet' | 'live';
  credentials: ExchangeCredentials;
  /** Entries of ccxt's `urls` to replace (tests: `{ api: { … } }` pointing at a local server). */
  urls?: Record<string, unknown>;
  /** ccxt `options` merged over the exchange's own (e.g. `{ fetchMarkets: { types: ['spot'] } }`). */
  options?: Record<string, unknown>;
  /** Request timeout in ms (ccxt's default is 10 s). */
  timeoutMs?: number;
  /** ccxt's in-process throttle (default on); the shared budget in Postgres is the real limit. */
  enableRateLimit?: boolean;
}

export function createCcxtClient(config: CcxtAccountConfig): CcxtClient {
  const exchanges = ccxt as unknown as Record<string, new (config: Record<string, unknown>) => CcxtClient>;
  if (!ccxt.exchanges.includes(config.exchangeId) || typeof exchanges[config.exchangeId] !== 'function') {
    throw new Error(`unknown exchange "${config.exchangeId}": not a ccxt exchange id`);
  }
  const client = new exchanges[config.exchangeId]!({
    apiKey: config.credentials.apiKey,
    secret: config.credentials.secret,
    ...(config.credentials.password === undefined ? {} : { password: config.credentials.password }),
    ...(config.credentials.uid === undefined ? {} : { uid: config.credentials.uid }),
    enableRateLimit: config.enableRateLimit ?? true,
    ...(config.timeoutMs === undefined ? {} : { timeout: config.timeoutMs }),
  });
  client.options = {
    ...client.options,
    ...config.options,
    maxRetriesOnFailure: 0,
    // The port's openOrders() without a symbol means every market (the emergency stop's sweep
    // for orders we do not track): ccxt's Binance refuses that unless acknowledged.
    warnOnFetchOpenOrdersWithoutSymbol: false,
  };

  if (config.mode === 'testnet') {
    if (!hasSandboxUrls(client)) {
      throw new Error(`${config.exchangeId} has no testnet (sandbox) in ccxt; use a paper account instead`);
    }
    client.setSandboxMode(true);
  }
  if (config.urls) client.urls = { ...client.urls, ...config.urls } as typeof client.urls;
  return client;
}

export function openCcxtExchange(config: CcxtAccountConfig, options: CcxtExchangeOptions = {}): CcxtExchange {
  return new CcxtExchange(createCcxtClient(config), options);
}

function hasSandboxUrls(client: CcxtClient): boolean {
  const test = (client.urls as Record<string, unknown>)['test'];
  if (typeof test === 'string') return test.length > 0;
  return (
    test !== null &&
    typeof test === 'object' &&
    Object.values(test as Record<string, unknown>).some((url) => typeof url === 'string' && url.length > 0)
  );
}
