/**
 * Where the demo session's signals come from: every few candles the analyst looks at each
 * replayed market and, when it would enter now, the demo user posts a signal with its levels
 * through the API function (POST /functions/v1/api/signals with the user's token) — as a
 * trader or an external bot would. The worker then takes it through the whole lifecycle
 * (its own analysis, monitoring, risk checks, orders).
 *
 * Longs only: the demo account is a spot paper account, where a short would have to sell an
 * asset it does not hold. A market with a signal still active is left alone, so the session
 * never stacks signals on one symbol (the risk engine would refuse the duplicate exposure).
 */
import type { Analyst } from '../../shared/analyst/port.ts';
import type { SqlClient } from '../../shared/db/sql.ts';
import { ACTIVE_STATUSES } from '../../shared/signals/lifecycle.ts';
import type { MarketReplay } from './market-replay.ts';

export interface SignalSourceOptions {
  db: SqlClient;
  analyst: Analyst;
  replay: MarketReplay;
  /** The project URL: signals are posted to `<url>/functions/v1/api/signals`. */
  url: string;
  /** The demo user's access token: the API creates the signal as that user, under RLS. */
  accessToken: string;
  traderId: number;
  /** Candles the analyst sees (default 120). */
  lookback?: number;
  onError?: (error: unknown) => void;
}

export interface SignalSource {
  /** Scans every market once; resolves to the ids of the signals it posted. */
  scan(): Promise<number[]>;
  posted(): number;
}

const ACTIVE: readonly string[] = ACTIVE_STATUSES;

export function createSignalSource(options: SignalSourceOptions): SignalSource {
  const { db, analyst, replay } = options;
  let posted = 0;
  return {
    posted: () => posted,
    async scan() {
      const active = await db.query<{ symbol: string }>(
        `select distinct symbol from public.signals where trader_id = $1 and status = any($2::text[])`,
        [options.traderId, ACTIVE],
      );
      const busy = new Set(active.map((row) => row.symbol));
      const [trader] = await db.query<{ ttl_ms: number }>(
        `select (extract(epoch from signal_ttl) * 1000)::bigint as ttl_ms from public.traders where id = $1`,
        [options.traderId],
      );
      const ttlMs = Number(trader?.ttl_ms ?? 86_400_000);
      const ids: number[] = [];
      for (const series of replay.series) {
        if (busy.has(series.symbol)) continue;
        try {
          const analysis = await analyst.analyse({
            signal: { symbol: series.symbol, side: 'long', timeframe: series.timeframe },
            candles: replay.recent(series.symbol, options.lookback ?? 120),
            now: replay.marketTime(),
          });
          if (analysis.action !== 'enter' || !analysis.entry) continue;
          const id = await postSignal(options, {
            trader_id: options.traderId,
            symbol: series.symbol,
            side: 'long',
            timeframe: series.timeframe,
            entry_price: analysis.entry,
            ...(analysis.stopLoss ? { stop_loss: analysis.stopLoss } : {}),
            ...(analysis.takeProfit ? { take_profit: analysis.takeProfit } : {}),
            // The signal lives for the trader's TTL on the market's clock (the database's
            // default would count it on the wall clock, which a fast replay leaves behind).
            expires_at: new Date(replay.marketTime() + ttlMs).toISOString(),
            note: `${analyst.kind} analyst (confidence ${analysis.confidence}): ${analysis.rationale}`.slice(
              0,
              2000,
            ),
          });
          ids.push(id);
          posted += 1;
        } catch (error) {
          options.onError?.(error);
        }
      }
      return ids;
    },
  };
}

async function postSignal(options: SignalSourceOptions, body: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${options.url}/functions/v1/api/signals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`POST /api/signals answered ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { signal: { id: number } }).signal.id;
}
