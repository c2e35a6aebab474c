/**
 * The CCXT adapter over the real `ccxt.binance` client against the local exchange server.
 * Reads retry fast (1–4 ms backoffs) so fault tests stay quick; nothing else is changed.
 */
import { binanceAgainst } from '../../../platform/exchange-server/ccxt-client.ts';
import type { ExchangeServer } from '../../../platform/exchange-server/server.ts';
import { CcxtExchange, type CcxtExchangeOptions } from '../../../shared/exchange/ccxt/ccxt-exchange.ts';
import { freshKey } from '../exchange-server/support.ts';

export { bar, closeExchanges, exchangeWith, flat, freshKey } from '../exchange-server/support.ts';

export const FAST_RETRY = { attempts: 3, baseMs: 2, maxMs: 4 };

export function adapterOf(
  server: ExchangeServer,
  options: { apiKey?: string; timeoutMs?: number } & CcxtExchangeOptions = {},
): { exchange: CcxtExchange; apiKey: string } {
  const apiKey = options.apiKey ?? freshKey();
  const client = binanceAgainst(
    server.url,
    { apiKey, secret: 'test-secret' },
    { enableRateLimit: false, timeout: options.timeoutMs ?? 5_000 },
  );
  return { exchange: new CcxtExchange(client, { readRetry: FAST_RETRY, ...options }), apiKey };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}
