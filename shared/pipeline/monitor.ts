/**
 * monitor {} (cron): evaluates the entry conditions of `monitoring` signals that are due at
 * their trader's analysis interval (never evaluated, or last evaluated an interval ago), on the
 * latest price of the trader's venue. Each evaluation is a `signal_monitoring_snapshots` row
 * (decision and inputs). `ready` moves the signal to ready — which enqueues execute — only when
 * the trader auto-executes; otherwise the signal stays and the snapshot says why. A signal
 * whose analysis gave no levels yet is analysed again at its interval.
 */
import type { Analysis } from '../analyst/analysis.ts';
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import type { Ticker } from '../exchange/port.ts';
import { runAnalyst } from './analyse.ts';
import type { Pipeline } from './deps.ts';
import { evaluateEntryConditions, type MonitorDecision, mergeLevels } from './entry-conditions.ts';
import { AT, actAs, moveSignal, type SignalRow, selectSignals } from './signals.ts';

const ACTOR = 'worker:monitor';

export interface MonitorReport {
  evaluated: number;
  ready: number;
  expired: number;
  rejected: number;
  failed: number;
}

export async function monitorSignals(pipeline: Pipeline, db: SqlClient): Promise<MonitorReport> {
  const now = pipeline.now();
  const due = await db.query<SignalRow>(
    `${selectSignals(`s.status = 'monitoring'
        and coalesce((select max(m.created_at) from public.signal_monitoring_snapshots m where m.signal_id = s.id)
                     + t.analysis_interval <= ${AT(1)}, true)`)}
      order by s.id limit $2`,
    [now, pipeline.settings.monitorBatch],
  );
  const report: MonitorReport = { evaluated: 0, ready: 0, expired: 0, rejected: 0, failed: 0 };
  for (const signal of due) {
    try {
      const decision = await monitorOne(pipeline, db, signal, now);
      report.evaluated += 1;
      if (decision === 'ready') report.ready += 1;
      if (decision === 'expire') report.expired += 1;
      if (decision === 'reject') report.rejected += 1;
    } catch (error) {
      // One signal's trouble (its venue down) must not hold up the others.
      report.failed += 1;
      pipeline.log('monitor: evaluation failed', { signal_id: signal.id, error: String(error) });
    }
  }
  return report;
}

async function monitorOne(
  pipeline: Pipeline,
  db: SqlClient,
  signal: SignalRow,
  now: number,
): Promise<MonitorDecision> {
  const expiresAt = signal.expires_at_ms;
  let levels = { entry: signal.entry_price, stopLoss: signal.stop_loss, takeProfit: signal.take_profit };
  let reanalysis: Analysis | undefined;
  const expired = expiresAt !== null && now >= expiresAt;
  if (!expired && levels.entry === null) {
    reanalysis = await runAnalyst(pipeline, db, signal).catch(() => undefined);
    if (reanalysis && reanalysis.action !== 'reject') {
      levels = mergeLevels(signal.side, levels, {
        entry: reanalysis.entry,
        stopLoss: reanalysis.stopLoss,
        takeProfit: reanalysis.takeProfit,
      });
    }
  }

  const ticker = expired || signal.account_id === null ? null : await latestPrice(pipeline, db, signal);
  const result =
    reanalysis?.action === 'reject'
      ? { decision: 'reject' as const, reason: `re-analysis rejected the signal: ${reanalysis.rationale}` }
      : evaluateEntryConditions({
          side: signal.side,
          entry: levels.entry,
          stopLoss: levels.stopLoss,
          price: ticker ? { last: ticker.last, at: ticker.timestamp } : null,
          now,
          expiresAt,
          toleranceBps: pipeline.settings.entryToleranceBps,
          staleAfterMs: pipeline.settings.priceStaleAfterMs,
        });
  const held = result.decision === 'ready' && !signal.auto_execute;
  const inputs = {
    side: signal.side,
    entry: levels.entry,
    stop_loss: levels.stopLoss,
    take_profit: levels.takeProfit,
    last: ticker?.last ?? null,
    price_at: ticker ? new Date(ticker.timestamp).toISOString() : null,
    tolerance_bps: pipeline.settings.entryToleranceBps,
    expires_at: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    auto_execute: signal.auto_execute,
    reason: held ? `${result.reason}; the trader does not auto-execute, so the signal waits` : result.reason,
    ...(reanalysis ? { reanalysis: { action: reanalysis.action, model: reanalysis.model } } : {}),
  };
  const decision: MonitorDecision = held ? 'wait' : result.decision;

  await db.transaction(async (tx) => {
    await actAs(tx, ACTOR, { decision, last: inputs.last, entry: levels.entry });
    await writeSnapshot(tx, signal, decision, ticker?.last ?? null, inputs, now);
    if (reanalysis && levels.entry !== null && signal.entry_price === null) {
      await tx.query(
        `update public.signals set entry_price = $2, stop_loss = $3, take_profit = $4 where id = $1 and status = 'monitoring'`,
        [signal.id, levels.entry, levels.stopLoss, levels.takeProfit],
      );
    }
    if (decision === 'ready') await moveSignal(tx, signal.id, 'monitoring', 'ready', result.reason);
    if (decision === 'expire') await moveSignal(tx, signal.id, 'monitoring', 'expired', result.reason);
    if (decision === 'reject') await moveSignal(tx, signal.id, 'monitoring', 'rejected', result.reason);
  });
  return decision;
}

async function latestPrice(pipeline: Pipeline, db: SqlClient, signal: SignalRow): Promise<Ticker | null> {
  const exchange = await pipeline.exchangeFor(db, signal.account_id!);
  try {
    return await exchange.ticker(signal.symbol);
  } catch (error) {
    pipeline.log('monitor: no price', { signal_id: signal.id, symbol: signal.symbol, error: String(error) });
    return null;
  }
}

async function writeSnapshot(
  tx: SqlQueryable,
  signal: SignalRow,
  decision: MonitorDecision,
  price: string | null,
  inputs: Record<string, unknown>,
  now: number,
): Promise<void> {
  await tx.query(
    `insert into public.signal_monitoring_snapshots (signal_id, owner, decision, price, inputs, created_at)
     values ($1, $2, $3, $4, $5::jsonb, ${AT(6)})`,
    [signal.id, signal.owner, decision, price, inputs, now],
  );
}
