/**
 * Emulated stop-loss and take-profit orders: rows the venue never sees, watched by the worker.
 * Called by the sync and risk jobs after the account's prices have moved. The legs that can no
 * longer fire (their group filled, their position closed) are SYNC's to cancel
 * (shared/sync/emulated-legs.ts); firing is the worker's, here.
 *
 * A leg fires when the last price crosses its trigger (sell stop: last ≤ stop; sell
 * take-profit: last ≥ trigger; the reverse for buys). The venue only ever shows the worker
 * its last price between runs, so a spike that crossed and came back in between is not seen —
 * the price of emulation, and why a native stop is used wherever the venue has one.
 *
 * Firing, in this order:
 * 1. the rest of its OCO group is cancelled first — on spot a native sibling locks the very
 *    base the exit must sell; a sibling that turns out to have filled wins, and the emulated
 *    leg is cancelled instead of firing;
 * 2. the exit (a market order, leg `exit`, the signal's next exit attempt) is placed, and the
 *    emulated row is claimed (`open → cancelled`, "triggered at …") inside the transaction that
 *    writes the exit's pending row (placement's beforeInsert hook). A second run finds it
 *    claimed and fires nothing: each leg fires once.
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { placeOrder } from '../exchange/placement.ts';
import type { Exchange } from '../exchange/port.ts';
import { dec } from '../money/decimal.ts';
import { settleEmulatedLegs } from '../sync/index.ts';
import type { Pipeline } from './deps.ts';
import {
  cancelOrderRow,
  isLive,
  markOrder,
  nextAttempt,
  type OrderRow,
  selectOrders,
  signalOrders,
} from './orders.ts';
import { actAs } from './signals.ts';

const ACTOR = 'worker:emulated';

/** Thrown inside the exit's transaction when another run fired the leg first. */
class AlreadyFired extends Error {}

export interface FiredLeg {
  orderId: number;
  exitOrderId: number | null;
  price: string;
}

/** Whether `last` has crossed the trigger of an emulated leg. */
export function crossed(row: Pick<OrderRow, 'type' | 'side' | 'stop_price'>, last: string): boolean {
  if (row.stop_price === null) return false;
  const price = dec(last);
  const trigger = dec(row.stop_price);
  const stop = row.type === 'stop_loss' || row.type === 'stop_loss_limit';
  // A sell stop protects a long (fires on the way down); a sell take-profit on the way up.
  if (row.side === 'sell') return stop ? price.lte(trigger) : price.gte(trigger);
  return stop ? price.gte(trigger) : price.lte(trigger);
}

export interface TriggerOptions extends Pick<Pipeline, 'placement'> {
  /** Last prices already read in this run, by symbol (the rest are asked for). */
  prices?: Readonly<Record<string, string>>;
  /** The caller has just settled the account's emulated legs (a sync): not again. */
  settled?: boolean;
}

export async function triggerEmulatedOrders(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  now: number,
  options: TriggerOptions = {},
): Promise<FiredLeg[]> {
  if (!options.settled) await settleEmulatedLegs(db, accountId);
  const rows = await db.query<OrderRow>(
    `${selectOrders(`o.account_id = $1 and o.emulated and o.status = 'open'`)} order by o.id`,
    [accountId],
  );
  const prices = new Map<string, string>(Object.entries(options.prices ?? {}));
  const fired: FiredLeg[] = [];
  for (const row of rows) {
    if (!prices.has(row.symbol)) prices.set(row.symbol, (await exchange.ticker(row.symbol)).last);
    const last = prices.get(row.symbol)!;
    if (!crossed(row, last)) continue;
    const result = await fire(db, exchange, row, last, now, options);
    if (result) fired.push(result);
  }
  return fired;
}

async function fire(
  db: SqlClient,
  exchange: Exchange,
  row: OrderRow,
  last: string,
  now: number,
  options: TriggerOptions,
): Promise<FiredLeg | null> {
  const group = row.signal_id === null ? [] : await signalOrders(db, row.signal_id);
  // A live exit means a leg of this group already fired (another run may still be sending
  // it): firing again would cancel that exit mid-flight, or sell twice.
  if (group.some((order) => order.leg === 'exit' && isLive(order))) return null;
  for (const sibling of group) {
    if (sibling.id === row.id || sibling.leg === 'entry' || !isLive(sibling)) continue;
    const status = await cancelOrderRow(
      db,
      exchange,
      sibling,
      `OCO: ${row.leg} ${row.client_order_id} fired`,
      ACTOR,
    );
    if (status === 'filled' || status === 'partially_filled') {
      await db.transaction(async (tx) => {
        await actAs(tx, ACTOR);
        await markOrder(tx, row.id, ['open'], 'cancelled', `OCO: ${sibling.client_order_id} filled first`);
      });
      return null;
    }
  }
  const claim = async (tx: SqlQueryable) => {
    await actAs(tx, ACTOR, { triggered: row.client_order_id, last, at: new Date(now).toISOString() });
    const claimed = await markOrder(
      tx,
      row.id,
      ['open'],
      'cancelled',
      `triggered at ${last}: exit sent at market`,
    );
    if (!claimed) throw new AlreadyFired();
  };
  try {
    const placed = await placeOrder(
      db,
      exchange,
      {
        intentId: row.signal_id ?? `emulated${row.id}`,
        leg: 'exit',
        attempt: nextAttempt(group, 'exit'),
        owner: row.owner,
        accountId: row.account_id,
        ...(row.signal_id === null ? {} : { signalId: row.signal_id }),
        symbol: row.symbol,
        side: row.side,
        type: 'market',
        amount: row.amount,
      },
      { ...options.placement, actor: ACTOR, beforeInsert: claim },
    );
    return { orderId: row.id, exitOrderId: placed.orderId, price: last };
  } catch (error) {
    if (error instanceof AlreadyFired) return null;
    throw error;
  }
}
