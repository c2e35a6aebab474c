/**
 * analyse {signal_id}: new → analyzing → monitoring | rejected.
 *
 * The analyst reads the signal's timeframe candles from public.candles on the price source
 * of the trader's account. The analysis (its JSON, model, tokens, latency, confidence) is
 * stored on the signal, and so are its levels where the signal came without them (a level
 * the signal's source set is kept: the source's word wins; see mergeLevels). `enter` and `wait` both go to
 * monitoring — the monitor decides when the price is there — and `reject` ends the signal
 * with the analyst's rationale.
 *
 * Failures: a retryable AnalysisFailed (malformed output, timeout, 5xx, 429) is rethrown so
 * the queue retries with backoff (a 429's retry-after through RetryLater); on the job's last
 * attempt, or for a failure retrying cannot fix, the signal is rejected with the reason.
 * Anything else (a database error, a bug) is retried too and, on the last attempt, the signal
 * fails — it never stays in `analyzing` for good.
 *
 * Idempotent: a signal already past analyzing is left alone; one found in `analyzing` (a
 * crashed earlier run) is analysed again.
 */
import type { Analysis } from '../analyst/analysis.ts';
import { isAnalysisFailed } from '../analyst/analysis-failed.ts';
import type { SqlClient } from '../db/sql.ts';
import { readCandles } from '../market-data/candle-store.ts';
import { timeframeToMs } from '../market-data/timeframe.ts';
import type { Job } from '../queue/queue-client.ts';
import { RetryLater } from '../worker/drain.ts';
import type { Pipeline } from './deps.ts';
import { mergeLevels } from './entry-conditions.ts';
import { actAs, loadSignal, moveSignal, type SignalRow } from './signals.ts';

const ACTOR = 'worker:analyse';

export async function analyseSignal(pipeline: Pipeline, db: SqlClient, job: Job): Promise<void> {
  const signalId = Number(job.payload['signal_id']);
  const signal = await loadSignal(db, signalId);
  if (!signal || (signal.status !== 'new' && signal.status !== 'analyzing')) return;
  if (signal.status === 'new') {
    const moved = await db.transaction(async (tx) => {
      await actAs(tx, ACTOR, { job_id: job.id, attempt: job.attempts });
      return moveSignal(tx, signalId, 'new', 'analyzing', null);
    });
    if (!moved) return; // cancelled (or analysed) meanwhile
  }

  const lastAttempt = job.attempts >= job.maxAttempts;
  let analysis: Analysis;
  try {
    analysis = await runAnalyst(pipeline, db, signal);
  } catch (error) {
    if (isAnalysisFailed(error)) {
      if (error.retryable && !lastAttempt) {
        if (error.retryAfterSeconds !== undefined)
          throw new RetryLater(error.message, error.retryAfterSeconds);
        throw error;
      }
      const why = error.retryable ? `after ${job.attempts} attempts` : 'not retryable';
      await finish(
        db,
        job,
        signalId,
        'rejected',
        `analysis failed (${error.reason}, ${why}): ${error.message}`,
      );
      return;
    }
    if (lastAttempt) {
      const message = error instanceof Error ? error.message : String(error);
      await finish(db, job, signalId, 'failed', `analysis could not run: ${message}`);
      return;
    }
    throw error;
  }
  await storeAnalysis(db, job, signal, analysis);
}

export async function runAnalyst(pipeline: Pipeline, db: SqlClient, signal: SignalRow): Promise<Analysis> {
  const now = pipeline.now();
  const source = pipeline.priceSourceFor({
    mode: signal.account_mode ?? 'paper',
    exchange: signal.account_exchange ?? 'paper',
  });
  const step = timeframeToMs(signal.timeframe);
  // Only candles that have opened by `now`: a replay's future must not leak into the analysis.
  const candles = await readCandles(
    db,
    { exchangeId: source, symbol: signal.symbol, timeframe: signal.timeframe },
    { from: now - pipeline.settings.analysisCandles * step, to: now + 1 },
  );
  return pipeline.analyst.analyse({
    signal: {
      symbol: signal.symbol,
      side: signal.side,
      timeframe: signal.timeframe,
      ...(signal.entry_price === null ? {} : { entryPrice: signal.entry_price }),
      ...(signal.stop_loss === null ? {} : { stopLoss: signal.stop_loss }),
      ...(signal.take_profit === null ? {} : { takeProfit: signal.take_profit }),
      ...(signal.note === null ? {} : { note: signal.note }),
    },
    candles,
    now,
  });
}

async function storeAnalysis(db: SqlClient, job: Job, signal: SignalRow, analysis: Analysis): Promise<void> {
  const to = analysis.action === 'reject' ? 'rejected' : 'monitoring';
  const { model, tokens, latencyMs, ...output } = analysis;
  const levels = mergeLevels(
    signal.side,
    { entry: signal.entry_price, stopLoss: signal.stop_loss, takeProfit: signal.take_profit },
    { entry: analysis.entry, stopLoss: analysis.stopLoss, takeProfit: analysis.takeProfit },
  );
  await db.transaction(async (tx) => {
    await actAs(tx, ACTOR, { job_id: job.id, attempt: job.attempts, action: analysis.action, model });
    await moveSignal(tx, signal.id, 'analyzing', to, analysis.rationale, {
      analysis: { ...output, tokens },
      analysis_model: model,
      analysis_tokens: tokens?.total ?? null,
      analysis_latency_ms: Math.round(latencyMs),
      confidence: analysis.confidence,
      entry_price: levels.entry,
      stop_loss: levels.stopLoss,
      take_profit: levels.takeProfit,
    });
  });
}

async function finish(
  db: SqlClient,
  job: Job,
  signalId: number,
  to: 'rejected' | 'failed',
  reason: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    await actAs(tx, ACTOR, { job_id: job.id, attempt: job.attempts });
    await moveSignal(tx, signalId, 'analyzing', to, reason);
  });
}
