/**
 * The worker's configuration, from a plain environment record (`Deno.env.toObject()`,
 * `process.env`) to pipeline dependencies — kept out of the Edge Function so its index stays
 * wiring and this stays testable in Node.
 *
 *   OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_TIMEOUT_MS   the analyst (deterministic without a key)
 *   TRADEFLOW_MASTER_KEY (+ _VERSION, _PREVIOUS)                     decrypts testnet/live keys; paper needs none
 *   TRADEFLOW_EXCHANGE_URLS                                          {"binance":"http://127.0.0.1:PORT"}
 *   TRADEFLOW_PAPER_FEED                                             public.candles.exchange the paper venue trades on (default "paper")
 *   TRADEFLOW_EXCHANGE_TIMEOUT_MS                                    ccxt request timeout (default ccxt's 10 000)
 *   TRADEFLOW_ORDER_IN_FLIGHT_MS                                     how long an unanswered order send may still execute
 *                                                                    (default 60 000; at least twice the timeout)
 */
import { chooseAnalyst } from '../analyst/choose-analyst.ts';
import { loadMasterKeys, MASTER_KEY_ENV } from '../vault/index.ts';
import type { PipelineDeps } from './deps.ts';
import { createExchangeForAccount, parseExchangeUrls } from './exchange-for-account.ts';

export async function pipelineDepsFromEnv(
  env: Record<string, string | undefined>,
  clock: () => number = Date.now,
): Promise<PipelineDeps> {
  const keyring = env[MASTER_KEY_ENV]?.trim() ? await loadMasterKeys(env) : undefined;
  const paperVenue = { priceSource: env['TRADEFLOW_PAPER_FEED']?.trim() || 'paper' };
  const timeoutMs = positiveInteger(env, 'TRADEFLOW_EXCHANGE_TIMEOUT_MS');
  const inFlightMs = positiveInteger(env, 'TRADEFLOW_ORDER_IN_FLIGHT_MS');
  // A send can still execute until the request times out (and the venue's receive window
  // passes): a window shorter than that would let placement re-send an order that went through.
  if (inFlightMs !== undefined && inFlightMs < 2 * (timeoutMs ?? 10_000)) {
    throw new Error(
      `TRADEFLOW_ORDER_IN_FLIGHT_MS (${inFlightMs}) must be at least twice the exchange timeout (${timeoutMs ?? 10_000} ms)`,
    );
  }
  return {
    analyst: chooseAnalyst(env),
    exchangeFor: createExchangeForAccount({
      clock,
      paperVenue,
      urls: parseExchangeUrls(env['TRADEFLOW_EXCHANGE_URLS']),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(keyring ? { keyring } : {}),
    }),
    now: clock,
    paperVenue,
    ...(inFlightMs === undefined ? {} : { placement: { inFlightMs } }),
    log: (message, details) => console.warn(`worker: ${message}`, details ?? {}),
  };
}

function positiveInteger(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number of milliseconds, got "${raw}"`);
  return value;
}
