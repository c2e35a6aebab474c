/**
 * execute {signal_id}: a `ready` signal becomes an entry order.
 *
 * RISK's prepareEntry sizes the entry and applies every rule: `reject` → the signal is rejected
 * with the reasons; `await_confirmation` → the signal stays ready with requires_confirmation
 * set and one alert (the API's confirm re-enqueues execute); `place` → placement with RISK's
 * in-transaction guard (beforeInsert), which re-checks the rules under row locks while the
 * pending row is written — RiskRejected there aborts the write, and the signal is rejected
 * with nothing placed. Then the account is synced: the entry's first fill moves the signal to
 * in_position (SYNC), and the fill enqueues protect (a database trigger).
 *
 * Remainder policy: the entry is a market order; a part the venue does not fill at once is
 * left to expire or be cancelled by the venue, never chased with a second order. A partial fill
 * counts: the signal is in position for what filled, and protect covers exactly that.
 *
 * Crashes and retries: an entry row already written (pending or unknown after a crash or a
 * timeout) is resumed by its client order id, never placed again; an attempt that ended without any fill
 * (`failed`: it never reached the exchange; or cancelled/expired unfilled) is followed by the next attempt, up to
 * settings.maxEntryAttempts, after which the signal fails.
 */
import type { SqlClient } from '../db/sql.ts';
import { type OrderIntent, type PlacementResult, placeOrder } from '../exchange/placement.ts';
import type { Exchange } from '../exchange/port.ts';
import { dec } from '../money/decimal.ts';
import { entryRiskGuard, prepareEntry, RiskRejected } from '../risk/index.ts';
import { syncAccount } from '../sync/index.ts';
import { RetryLater } from '../worker/drain.ts';
import { raiseAlert } from './alerts.ts';
import type { Pipeline } from './deps.ts';
import { type OrderRow, signalOrders } from './orders.ts';
import { actAs, loadSignal, moveSignal, type SignalRow } from './signals.ts';

const ACTOR = 'worker:execute';

export type ExecuteOutcome = 'skipped' | 'placed' | 'awaiting_confirmation' | 'rejected' | 'failed';

export async function executeSignal(
  pipeline: Pipeline,
  db: SqlClient,
  signalId: number,
): Promise<ExecuteOutcome> {
  const now = pipeline.now();
  const signal = await loadSignal(db, signalId);
  if (signal?.status !== 'ready') return 'skipped';
  if (signal.account_id === null) {
    await reject(db, signal, "the signal's trader has no exchange account");
    return 'rejected';
  }
  const exchange = await pipeline.exchangeFor(db, signal.account_id);
  const entries = (await signalOrders(db, signalId)).filter((row) => row.leg === 'entry');
  const latest = entries[entries.length - 1];

  let attempt = 1;
  if (latest) {
    if (latest.status === 'pending' || latest.status === 'unknown') {
      const resumed = await placeOrder(db, exchange, resumeIntent(signal, latest), {
        ...pipeline.placement,
        actor: ACTOR,
      });
      return afterPlacement(pipeline, db, exchange, signal, resumed, now);
    }
    if (latest.status === 'rejected') {
      await reject(db, signal, `the exchange refused the entry: ${await reasonOf(db, latest.id)}`);
      return 'rejected';
    }
    const endedUnfilled =
      ['failed', 'cancelled', 'expired'].includes(latest.status) && dec(latest.filled_amount).isZero();
    if (!endedUnfilled) {
      // On the exchange (working, filled, or ended after a partial fill): nothing to place.
      await syncAccount(db, exchange, signal.account_id, now, {
        ...pipeline.syncOptions,
        symbols: [signal.symbol],
      });
      return 'placed';
    }
    attempt = latest.attempt! + 1;
    if (attempt > pipeline.settings.maxEntryAttempts) {
      await finish(db, signal, 'failed', `the entry did not fill in ${latest.attempt} attempts`);
      return 'failed';
    }
  }

  const plan = await prepareEntry(db, exchange, signalId, now, { attempt });
  if (plan.kind === 'reject') {
    await reject(db, signal, plan.reasons.join(' '));
    return 'rejected';
  }
  if (plan.kind === 'await_confirmation') {
    await awaitConfirmation(db, signal, plan.notional, plan.reason);
    return 'awaiting_confirmation';
  }
  let placed: PlacementResult;
  try {
    placed = await placeOrder(
      db,
      exchange,
      { ...plan.intent, attempt },
      {
        ...pipeline.placement,
        actor: ACTOR,
        beforeInsert: entryRiskGuard(signalId, now, {
          referencePrice: plan.referencePrice,
          dust: plan.dust.amount,
        }),
      },
    );
  } catch (error) {
    if (!(error instanceof RiskRejected)) throw error;
    await reject(db, signal, error.reasons.join(' '));
    return 'rejected';
  }
  return afterPlacement(pipeline, db, exchange, signal, placed, now);
}

async function afterPlacement(
  pipeline: Pipeline,
  db: SqlClient,
  exchange: Exchange,
  signal: SignalRow,
  placed: PlacementResult,
  now: number,
): Promise<ExecuteOutcome> {
  switch (placed.status) {
    case 'rejected':
      await raiseAlert(db, {
        owner: signal.owner,
        traderId: signal.trader_id,
        severity: 'warning',
        kind: 'order_failed',
        subject: `order:${placed.orderId}`,
        message: `The exchange refused the entry of signal ${signal.id}: ${placed.reason ?? 'rejected'}`,
        context: { signal_id: signal.id, order_id: placed.orderId, client_order_id: placed.clientOrderId },
      });
      await reject(db, signal, `the exchange refused the entry: ${placed.reason ?? 'rejected'}`);
      return 'rejected';
    case 'failed':
      // Certainly not on the exchange: the next run places the next attempt.
      throw new RetryLater(`entry ${placed.clientOrderId} not placed: ${placed.reason ?? 'failed'}`, 5);
    case 'unknown':
    case 'pending': {
      // The outcome is not known yet: come back once no send can still be in flight.
      const wait = Math.ceil((pipeline.placement?.inFlightMs ?? 60_000) / 1000);
      throw new RetryLater(`entry ${placed.clientOrderId} outcome unknown: ${placed.reason ?? ''}`, wait);
    }
    default:
      await syncAccount(db, exchange, signal.account_id!, now, {
        ...pipeline.syncOptions,
        symbols: [signal.symbol],
      });
      return 'placed';
  }
}

function resumeIntent(signal: SignalRow, row: OrderRow): OrderIntent {
  return {
    intentId: signal.id,
    leg: 'entry',
    attempt: row.attempt!,
    owner: signal.owner,
    accountId: row.account_id,
    signalId: signal.id,
    symbol: row.symbol,
    side: row.side,
    type: row.type as OrderIntent['type'],
    amount: row.amount,
  };
}

async function awaitConfirmation(
  db: SqlClient,
  signal: SignalRow,
  notional: string,
  reason: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    await actAs(tx, ACTOR, { notional });
    await tx.query(
      `update public.signals set requires_confirmation = true
        where id = $1 and status = 'ready' and not requires_confirmation`,
      [signal.id],
    );
  });
  await raiseAlert(db, {
    owner: signal.owner,
    traderId: signal.trader_id,
    severity: 'info',
    kind: 'confirmation_required',
    subject: `signal:${signal.id}`,
    message: `Signal ${signal.id} (${signal.side} ${signal.symbol}, about ${notional}) waits for your confirmation: ${reason}`,
    context: { signal_id: signal.id, notional },
  });
}

async function reasonOf(db: SqlClient, orderId: number): Promise<string> {
  const rows = await db.query<{ status_reason: string | null }>(
    'select status_reason from public.orders where id = $1',
    [orderId],
  );
  return rows[0]?.status_reason ?? 'rejected';
}

function reject(db: SqlClient, signal: SignalRow, reason: string): Promise<void> {
  return finish(db, signal, 'rejected', reason);
}

async function finish(
  db: SqlClient,
  signal: SignalRow,
  to: 'rejected' | 'failed',
  reason: string,
): Promise<void> {
  await db.transaction(async (tx) => {
    await actAs(tx, ACTOR);
    await moveSignal(tx, signal.id, 'ready', to, reason);
  });
}
