/**
 * What the pipeline's job handlers need from the outside world, injected so that the same
 * handlers run in the worker Edge Function, the local stack and tests: the analyst, one
 * Exchange per account, and the clock (time is passed in, never read from a global, so
 * replays and tests are deterministic).
 */
import type { Analyst } from '../analyst/port.ts';
import type { SqlClient } from '../db/sql.ts';
import type { PaperVenueOptions } from '../exchange/paper/paper-exchange.ts';
import type { PlacementOptions } from '../exchange/placement.ts';
import type { Exchange } from '../exchange/port.ts';

export interface PipelineSettings {
  /**
   * How far the last price may be on the wrong side of the analysed entry level and still
   * count as "at the entry" (basis points). Long: last ≤ entry·(1 + t); short: last ≥ entry·(1 − t).
   */
  entryToleranceBps: number;
  /** A price older than this is no basis for an entry decision (ms). */
  priceStaleAfterMs: number;
  /** Candles handed to the analyst (the analysts use at most this many). */
  analysisCandles: number;
  /** Signals the monitor evaluates per run (the rest wait for the next run). */
  monitorBatch: number;
  /** Entry attempts (new client order ids) before a signal whose entry never reached the exchange fails. */
  maxEntryAttempts: number;
  /** Alert when a margin position's mark is within this fraction of its liquidation price. */
  liquidationAlertDistance: number;
  /** Alert when a position's unrealised P&L moves beyond this fraction of its entry notional. */
  unusualPnlFraction: number;
  /** Alert when an account's request budget falls below this fraction of its capacity. */
  rateLimitWarningFraction: number;
  /** How far back the market_data job fills candles (ms). */
  marketDataLookbackMs: number;
  /**
   * Accounts the cron sync reconciles in its own run; the others go out as one `sync
   * {account_id}` job each, shared by every worker invocation (see sync.ts).
   */
  syncInlineAccounts: number;
}

export const DEFAULT_SETTINGS: PipelineSettings = {
  entryToleranceBps: 25,
  priceStaleAfterMs: 5 * 60_000,
  analysisCandles: 200,
  monitorBatch: 200,
  maxEntryAttempts: 3,
  liquidationAlertDistance: 0.1,
  unusualPnlFraction: 0.25,
  rateLimitWarningFraction: 0.1,
  marketDataLookbackMs: 6 * 60 * 60_000,
  syncInlineAccounts: 4,
};

export interface PipelineDeps {
  analyst: Analyst;
  /** The Exchange of an account (cached per worker instance, see exchange-for-account.ts). */
  exchangeFor(db: SqlClient, accountId: number): Promise<Exchange>;
  /** Milliseconds since the epoch. */
  now(): number;
  /** The paper venue's configuration: its price feed, and what `advancePaperAccounts` uses. */
  paperVenue?: PaperVenueOptions;
  /** Passed to every placement (tests shorten the in-flight window). */
  placement?: Omit<PlacementOptions, 'actor' | 'beforeInsert'>;
  settings?: Partial<PipelineSettings>;
  /** Where handlers report what they skipped or survived (default: nothing). */
  log?: (message: string, details?: Record<string, unknown>) => void;
}

/** Deps with every default filled in: what the handlers work with. */
export interface Pipeline extends PipelineDeps {
  settings: PipelineSettings;
  log: (message: string, details?: Record<string, unknown>) => void;
  /** `public.candles.exchange` holding the prices of an account's venue. */
  priceSourceFor(account: { mode: string; exchange: string }): string;
  /** What every sync is told: the same in-flight window placement uses. */
  syncOptions: { inFlightMs?: number };
}

export function resolvePipeline(deps: PipelineDeps): Pipeline {
  const paperFeed = deps.paperVenue?.priceSource ?? 'paper';
  return {
    ...deps,
    settings: { ...DEFAULT_SETTINGS, ...deps.settings },
    log: deps.log ?? (() => {}),
    syncOptions: deps.placement?.inFlightMs === undefined ? {} : { inFlightMs: deps.placement.inFlightMs },
    // Paper accounts trade on the configured feed; a testnet or live account's candles are
    // ingested under its exchange id (the market_data job).
    priceSourceFor: (account) => (account.mode === 'paper' ? paperFeed : account.exchange),
  };
}
