/**
 * One Exchange per account, built from its row and cached for the life of the worker instance
 * (a ccxt client carries loaded markets and its own throttle; rebuilding it per job would
 * reload markets on every call).
 *
 * - paper   → PaperExchange on the configured paper venue (its candle feed, fees, slippage);
 *   its typed refusals are classified like a real venue's answers (shared/exchange/errors.ts);
 * - testnet / live → the account's keys decrypted with the vault (bound to user and account),
 *   a ccxt client through openCcxtExchange, guarded by the account's circuit breaker and
 *   request budget in Postgres.
 *
 * `TRADEFLOW_EXCHANGE_URLS` (JSON, e.g. `{ "binance": "http://127.0.0.1:7001" }`) points an
 * exchange's API at another base URL — the local exchange server in the local stack and in
 * tests. Each of ccxt's `urls.api` entries keeps its path on the new base, so no request can
 * leave for the real venue; markets load from spot only without the private currency and margin
 * endpoints (all a local server offers); and ccxt's host-keyed error tables (Binance picks its
 * spot table by host name, which a loopback URL does not match) are merged so errors are
 * classified as on the real venue.
 */
import ccxt from 'ccxt';
import type { SqlClient } from '../db/sql.ts';
import { openCcxtExchange } from '../exchange/ccxt/open-exchange.ts';
import { AccountRequestGuard } from '../exchange/ccxt/request-guard.ts';
import { PaperExchange, type PaperVenueOptions } from '../exchange/paper/paper-exchange.ts';
import type { Exchange } from '../exchange/port.ts';
import { decryptSecret, type MasterKeyring } from '../vault/index.ts';

export interface ExchangeForAccountOptions {
  clock: () => number;
  paperVenue?: PaperVenueOptions;
  /** Needed for testnet and live accounts only. */
  keyring?: MasterKeyring;
  /** Exchange id → base URL (parsed from TRADEFLOW_EXCHANGE_URLS). */
  urls?: Record<string, string>;
  /** ccxt request timeout (ms). */
  timeoutMs?: number;
}

interface AccountRow {
  id: number;
  owner: string;
  exchange: string;
  mode: 'paper' | 'testnet' | 'live';
  status: string;
  api_key_ciphertext: string | null;
  api_secret_ciphertext: string | null;
  api_password_ciphertext: string | null;
}

export type ExchangeFor = (db: SqlClient, accountId: number) => Promise<Exchange>;

export function createExchangeForAccount(options: ExchangeForAccountOptions): ExchangeFor {
  const cache = new Map<number, Promise<Exchange>>();
  return (db, accountId) => {
    let exchange = cache.get(accountId);
    if (!exchange) {
      exchange = openAccountExchange(db, accountId, options);
      // A failed build (keys missing, vault down) is not cached: the next job tries again.
      exchange.catch(() => cache.delete(accountId));
      cache.set(accountId, exchange);
    }
    return exchange;
  };
}

async function openAccountExchange(
  db: SqlClient,
  accountId: number,
  options: ExchangeForAccountOptions,
): Promise<Exchange> {
  const [account] = await db.query<AccountRow>(
    `select id, owner, exchange, mode, status, api_key_ciphertext, api_secret_ciphertext, api_password_ciphertext
       from public.exchange_accounts where id = $1`,
    [accountId],
  );
  if (!account) throw new Error(`exchange account ${accountId} does not exist`);
  if (account.mode === 'paper') {
    return new PaperExchange({ ...options.paperVenue, db, accountId, clock: options.clock });
  }
  if (!options.keyring)
    throw new Error(`account ${accountId} is ${account.mode}: the worker needs TRADEFLOW_MASTER_KEY`);
  if (!account.api_key_ciphertext || !account.api_secret_ciphertext) {
    throw new Error(`account ${accountId} has no stored API keys`);
  }
  const context = { userId: account.owner, accountId: String(account.id) };
  const credentials = {
    apiKey: await decryptSecret(options.keyring, account.api_key_ciphertext, context),
    secret: await decryptSecret(options.keyring, account.api_secret_ciphertext, context),
    ...(account.api_password_ciphertext
      ? { password: await decryptSecret(options.keyring, account.api_password_ciphertext, context) }
      : {}),
  };
  const base = options.urls?.[account.exchange];
  const exchange = openCcxtExchange(
    {
      exchangeId: account.exchange,
      mode: account.mode,
      credentials,
      ...(base ? { urls: { api: rebasedApiUrls(account.exchange, base) } } : {}),
      ...(base
        ? { options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false } }
        : {}),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      // The account's request budget in Postgres (the guard below) is the limit, shared by every
      // invocation. ccxt's own throttle would only make each request repay the previous one's
      // weight in sleep (about 200 ms before an order that follows a balance read).
      enableRateLimit: false,
    },
    { guard: new AccountRequestGuard({ db, accountId }), clock: options.clock },
  );
  if (base) mergeSpotErrorTables(exchange.client.exceptions as ExceptionTables);
  return exchange;
}

/** Parses TRADEFLOW_EXCHANGE_URLS; refuses anything but `{ "<exchange id>": "<http(s) url>" }`. */
export function parseExchangeUrls(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Error('TRADEFLOW_EXCHANGE_URLS must be JSON such as {"binance":"http://127.0.0.1:7001"}');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('TRADEFLOW_EXCHANGE_URLS must be a JSON object of exchange id → URL');
  }
  const urls: Record<string, string> = {};
  for (const [id, url] of Object.entries(parsed)) {
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      throw new Error(`TRADEFLOW_EXCHANGE_URLS: the URL for "${id}" must start with http:// or https://`);
    }
    urls[id] = url;
  }
  return urls;
}

/** ccxt's `urls.api` of an exchange, each entry's path kept on `baseUrl`. */
function rebasedApiUrls(exchangeId: string, baseUrl: string): Record<string, unknown> {
  const constructors = ccxt as unknown as Record<string, new () => { urls: Record<string, unknown> }>;
  const Client = constructors[exchangeId];
  if (!Client) throw new Error(`unknown exchange "${exchangeId}": not a ccxt exchange id`);
  const base = baseUrl.replace(/\/+$/, '');
  const rebase = (value: unknown): unknown => {
    if (typeof value === 'string') return base + new URL(value).pathname;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rebase(inner)]));
    }
    return value;
  };
  return rebase(new Client().urls['api']) as Record<string, unknown>;
}

type ErrorTable = Record<string, unknown>;
interface ExceptionTables {
  exact?: ErrorTable;
  broad?: ErrorTable;
  spot?: { exact?: ErrorTable; broad?: ErrorTable };
}

function mergeSpotErrorTables(tables: ExceptionTables): void {
  tables.exact = { ...tables.exact, ...tables.spot?.exact };
  tables.broad = { ...tables.broad, ...tables.spot?.broad };
}
