/**
 * protect {signal_id, order_id}: once the entry has filled (wholly or in part), a stop-loss and
 * a take-profit for the amount held, as one OCO group (`signal:<id>`, set by the database when
 * the order is linked to the signal).
 *
 * Native or emulated: a leg is placed on the exchange when the venue supports its order type
 * natively (MarketInfo.nativeStopLoss / nativeTakeProfit). The port has no OCO order, and on a
 * spot market every resting sell locks the base it would sell, so two native legs for the same
 * amount cannot coexist there (the second is refused for insufficient balance). So on spot
 * (no reduce-only) the stop-loss — the leg that protects capital — is native and the
 * take-profit is emulated; both are native only where orders do not lock the holding
 * (reduce-only venues). An emulated leg is an orders row with `emulated = true` that is never
 * sent: `triggerEmulatedOrders` (emulated-orders.ts) fires a market exit when the last price
 * crosses it. A native leg the venue refuses (e.g. a stop that would trigger at once) is
 * emulated instead, and an alert says so.
 *
 * The amount is what the entry's fills left in the account: filled amount minus fees paid in
 * the base asset (fees in quote leave the amount whole), truncated to the amount step.
 *
 * Idempotent: a leg whose live order already covers that amount is left alone (one pending
 * after a crash is resumed by its client order id); a leg covering less (more of the entry
 * filled since) is cancelled and placed again as a new attempt for the whole amount. Nothing
 * is placed once any exit has started to fill, or while an exit order is working.
 *
 * Not done until the exchange holds it: a native leg whose send timed out (outcome unknown) or
 * that a resumed run found never arrived makes the job retry after the in-flight window, so a
 * lost send is found by its client order id or placed again — never left unguarded.
 */
import type { SqlClient } from '../db/sql.ts';
import { clientOrderIdFor } from '../exchange/client-order-id.ts';
import { type OrderIntent, type PlacementResult, placeOrder } from '../exchange/placement.ts';
import type { Exchange, MarketInfo } from '../exchange/port.ts';
import { type Dec, dec, roundPriceToTick, toDecimalString } from '../money/decimal.ts';
import { closableAmount } from '../positions/index.ts';
import { syncAccount } from '../sync/index.ts';
import { RetryLater } from '../worker/drain.ts';
import { raiseAlert } from './alerts.ts';
import type { Pipeline } from './deps.ts';
import { cancelOrderRow, isLive, nextAttempt, type OrderRow, signalOrders } from './orders.ts';
import { actAs, loadSignal, type SignalRow } from './signals.ts';

const ACTOR = 'worker:protect';

type ProtectiveLeg = 'stop_loss' | 'take_profit';

export interface ProtectReport {
  amount: string | null;
  legs: {
    leg: ProtectiveLeg;
    orderId: number;
    emulated: boolean;
    action: 'kept' | 'placed' | 'resumed';
    /** Why the leg is not known to be on the exchange yet (its send's outcome is unknown, or it must be sent again). */
    unsettled?: string;
  }[];
  skipped?: string;
}

export async function protectSignal(
  pipeline: Pipeline,
  db: SqlClient,
  signalId: number,
): Promise<ProtectReport> {
  const signal = await loadSignal(db, signalId);
  const report: ProtectReport = { amount: null, legs: [] };
  if (
    !signal ||
    (signal.status !== 'ready' && signal.status !== 'in_position') ||
    signal.account_id === null
  ) {
    return { ...report, skipped: `signal is ${signal?.status ?? 'missing'}` };
  }
  let rows = await signalOrders(db, signalId);
  const exits = rows.filter((row) => row.leg !== 'entry');
  if (exits.some((row) => dec(row.filled_amount).gt(0))) return { ...report, skipped: 'an exit has filled' };
  if (rows.some((row) => row.leg === 'exit' && isLive(row)))
    return { ...report, skipped: 'an exit is working' };

  const exchange = await pipeline.exchangeFor(db, signal.account_id);
  const market = await exchange.market(signal.symbol);
  // Size from the position the entry's fills built, never from the order row: an order
  // recorded by reconciliation after a crash carries no fee, and a fee taken in the base
  // asset means less is held than was filled (a stop for the filled amount is refused).
  // The market is synced first unless every fill the entry rows report is already in the
  // position (the usual case: execute's own sync recorded them); a fill that arrives later
  // is recorded by the next sync, whose fill trigger runs protect again to cover it.
  if (!(await entryFillsRecorded(db, signalId))) {
    await syncAccount(db, exchange, signal.account_id, pipeline.now(), {
      ...pipeline.syncOptions,
      symbols: [signal.symbol],
    });
    rows = await signalOrders(db, signalId);
  }
  const held = await heldAmount(db, signalId);
  if (held === null) {
    if (rows.some((row) => row.leg === 'entry' && dec(row.filled_amount).gt(0))) {
      throw new RetryLater(`signal ${signalId}: the entry's fills are not in a position yet`, 2);
    }
    return { ...report, skipped: 'nothing filled yet' };
  }
  const amount = closableAmount(held, market);
  if (amount.lte(0)) return { ...report, skipped: 'nothing closable is held' };
  report.amount = toDecimalString(amount);

  const unsettled: string[] = [];
  for (const leg of ['stop_loss', 'take_profit'] as const) {
    const level = leg === 'stop_loss' ? signal.stop_loss : signal.take_profit;
    if (level === null) continue;
    const native = leg === 'stop_loss' ? market.nativeStopLoss : market.nativeTakeProfit && market.reduceOnly;
    const result = await protectLeg(pipeline, db, exchange, market, signal, rows, leg, level, amount, native);
    if (result) {
      report.legs.push(result);
      if (result.unsettled) unsettled.push(`${leg} ${result.unsettled}`);
    }
    rows = await signalOrders(db, signalId);
  }
  if (unsettled.length > 0) {
    // A leg whose send may not have reached the exchange protects nothing yet: the job comes
    // back once no send can still be in flight, finds the order by its client id, or sends it
    // again (a new attempt if it certainly never arrived). Completing now would leave the
    // position unguarded for good when the send was lost.
    const wait = Math.ceil((pipeline.placement?.inFlightMs ?? 60_000) / 1000);
    throw new RetryLater(`signal ${signalId}: protection not confirmed (${unsettled.join('; ')})`, wait);
  }
  return report;
}

/** Whether the fills of the signal's entry orders (their filled amounts) are all recorded as trade executions. */
async function entryFillsRecorded(db: SqlClient, signalId: number): Promise<boolean> {
  const [row] = await db.query<{ recorded: boolean }>(
    `select not exists (
              select 1 from public.signal_orders so join public.orders o on o.id = so.order_id
               where so.signal_id = $1 and so.leg = 'entry'
                 and o.filled_amount > coalesce((select sum(t.amount) from public.trade_executions t
                                                  where t.order_id = o.id), 0)) as recorded`,
    [signalId],
  );
  return row?.recorded ?? false;
}

/** What the signal's open position holds (null before its first fill is recorded). */
async function heldAmount(db: SqlClient, signalId: number): Promise<string | null> {
  const [row] = await db.query<{ amount: string }>(
    `select p.amount::text as amount
       from public.signal_positions sp join public.positions p on p.id = sp.position_id
      where sp.signal_id = $1 and p.status = 'open'`,
    [signalId],
  );
  return row?.amount ?? null;
}

async function protectLeg(
  pipeline: Pipeline,
  db: SqlClient,
  exchange: Exchange,
  market: MarketInfo,
  signal: SignalRow,
  rows: readonly OrderRow[],
  leg: ProtectiveLeg,
  level: string,
  amount: Dec,
  native: boolean,
): Promise<ProtectReport['legs'][number] | null> {
  const live = rows.filter((row) => row.leg === leg && isLive(row));
  const covering = live.find((row) => dec(row.amount).eq(amount));
  if (covering) {
    if (!covering.emulated && (covering.status === 'pending' || covering.status === 'unknown')) {
      // A crashed run wrote the row: finish that placement by its client order id.
      const placed = await placeOrder(
        db,
        exchange,
        intentFor(signal, market, leg, covering.attempt!, amount, level),
        {
          ...pipeline.placement,
          actor: ACTOR,
        },
      );
      return { leg, orderId: placed.orderId, emulated: false, action: 'resumed', ...unsettledBy(placed) };
    }
    return { leg, orderId: covering.id, emulated: covering.emulated, action: 'kept' };
  }
  for (const row of live) {
    const status = await cancelOrderRow(db, exchange, row, `replaced: the position grew to ${amount}`, ACTOR);
    if (status === 'filled' || status === 'partially_filled') return null; // the exit is under way
  }
  const attempt = nextAttempt(rows, leg);
  const intent = intentFor(signal, market, leg, attempt, amount, level);
  if (native) {
    const placed = await placeOrder(db, exchange, intent, { ...pipeline.placement, actor: ACTOR });
    if (placed.status !== 'rejected' && placed.status !== 'failed') {
      return { leg, orderId: placed.orderId, emulated: false, action: 'placed', ...unsettledBy(placed) };
    }
    await raiseAlert(db, {
      owner: signal.owner,
      traderId: signal.trader_id,
      severity: 'warning',
      kind: 'protection_emulated',
      subject: `order:${placed.orderId}`,
      message: `The exchange refused the ${leg.replace('_', '-')} of signal ${signal.id} (${placed.reason ?? placed.status}); the worker watches it instead.`,
      context: { signal_id: signal.id, order_id: placed.orderId },
    });
    const orderId = await writeEmulated(db, { ...intent, attempt: attempt + 1 });
    return { leg, orderId, emulated: true, action: 'placed' };
  }
  const orderId = await writeEmulated(db, intent);
  return { leg, orderId, emulated: true, action: 'placed' };
}

/**
 * A placement whose order is not known to be on the exchange: `pending`/`unknown` (the send's
 * outcome is not known yet) or `failed` on a resumed attempt (it never arrived; the next run
 * places a new attempt). Nothing for an order the exchange holds.
 */
function unsettledBy(placed: PlacementResult): { unsettled?: string } {
  if (placed.status === 'pending' || placed.status === 'unknown' || placed.status === 'failed') {
    return {
      unsettled: `${placed.clientOrderId} ${placed.status}${placed.reason ? `: ${placed.reason}` : ''}`,
    };
  }
  return {};
}

function intentFor(
  signal: SignalRow,
  market: MarketInfo,
  leg: ProtectiveLeg,
  attempt: number,
  amount: Dec,
  level: string,
): OrderIntent {
  return {
    intentId: signal.id,
    leg,
    attempt,
    owner: signal.owner,
    accountId: signal.account_id!,
    signalId: signal.id,
    symbol: signal.symbol,
    side: signal.side === 'long' ? 'sell' : 'buy',
    type: leg,
    amount: toDecimalString(amount),
    stopPrice: toDecimalString(roundPriceToTick(level, market.priceTick)),
    ...(market.reduceOnly ? { reduceOnly: true } : {}),
  };
}

/**
 * An emulated leg: an `open` orders row that is never sent, with its deterministic client order
 * id (so a re-run writes it once) and its signal link, in one transaction.
 */
export async function writeEmulated(db: SqlClient, intent: OrderIntent): Promise<number> {
  const clientOrderId = clientOrderIdFor({
    intentId: intent.intentId,
    leg: intent.leg,
    attempt: intent.attempt,
  });
  return db.transaction(async (tx) => {
    await actAs(tx, ACTOR, { emulated: true });
    const inserted = await tx.query<{ id: number }>(
      `insert into public.orders (owner, account_id, client_order_id, symbol, side, type, amount, stop_price,
                                  reduce_only, emulated, status, status_reason)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, 'open', 'emulated: watched by the worker, never sent')
       on conflict (client_order_id) do nothing
       returning id`,
      [
        intent.owner,
        intent.accountId,
        clientOrderId,
        intent.symbol,
        intent.side,
        intent.type,
        intent.amount,
        intent.stopPrice ?? null,
        intent.reduceOnly ?? false,
      ],
    );
    if (inserted[0] && intent.signalId !== undefined) {
      await tx.query(
        `insert into public.signal_orders (owner, signal_id, order_id, leg, attempt) values ($1, $2, $3, $4, $5)`,
        [intent.owner, intent.signalId, inserted[0].id, intent.leg, intent.attempt],
      );
    }
    const [row] = await tx.query<{ id: number }>('select id from public.orders where client_order_id = $1', [
      clientOrderId,
    ]);
    return row!.id;
  });
}
