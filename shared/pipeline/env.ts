/**
 * The worker's configuration, from a plain environment record (`Deno.env.toObject()`,
 * `process.env`) to pipeline dependencies — kept out of the Edge Function so its index stays
 * wiring and this stays testable in Node.
 *
 *   OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_TIMEOUT_MS   the analyst (deterministic without a key)
 *   TRADEFLOW_MASTER_KEY (+ _VERSION, _PREVIOUS)                     decrypts testnet/live keys; paper needs none
 *   TRADEFLOW_EXCHANGE_URLS                                          {"binance":"http://127.0.0.1:PORT"}
 *   TRADEFLOW_PAPER_FEED                                             public.candles.exchange the paper venue trades on (default "paper")
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
  return {
    analyst: chooseAnalyst(env),
    exchangeFor: createExchangeForAccount({
      clock,
      paperVenue,
      urls: parseExchangeUrls(env['TRADEFLOW_EXCHANGE_URLS']),
      ...(keyring ? { keyring } : {}),
    }),
    now: clock,
    paperVenue,
    log: (message, details) => console.warn(`worker: ${message}`, details ?? {}),
  };
}
