/**
 * Exactly-once order placement.
 *
 * 1. The order row is written first, in its own committed transaction: status `pending`, the
 *    deterministic client order id of (intent, leg, attempt), and `submitted_at` = the time of
 *    the send about to happen. A crash from here on leaves a row to resolve by that id.
 * 2. The order is sent once (the adapter never retries a create).
 * 3. The answer is recorded (`open`, `partially_filled`, `filled`, …). A refusal by the venue
 *    (InsufficientFunds, InvalidOrder, BadSymbol, BadRequest, AuthenticationError,
 *    PermissionDenied, a market limit caught before sending) is `rejected`, with the reason.
 * 4. Any other failure: the order is looked up by client id before anything else. Found →
 *    recorded. Absent → it depends on what failed:
 *    - the venue refused before processing (429/418, a receive-window error) or our guards
 *      never sent it → the same attempt is sent again with the SAME client id, after a backoff;
 *    - the outcome is unknown (timeout, dropped connection, 5xx): the request may still be in
 *      a queue and execute later, so the row becomes `unknown` and nothing is sent —
 *      `reconcileUnknownOrders` settles it by client id once no send can still be in flight.
 *
 * Running placement again for the same intent (a retried job, a restarted worker) finds the
 * row and resumes: a row already on the exchange is left alone; a `pending`/`unknown` row is
 * looked up first and sent again only when it is absent and its last send is older than
 * `inFlightMs` (longer than a request can live: the client timeout plus the venue's receive
 * window). The venue refuses a second order with a client id it holds open, a last line of
 * defence, not the mechanism.
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { roundAmountToStep, roundPriceToTick, toDecimalString } from '../money/decimal.ts';
import { clientOrderIdFor, type OrderLeg } from './client-order-id.ts';
import { classifyExchangeError, describeExchangeError, wasRefusedBeforeProcessing } from './errors.ts';
import type { Exchange, ExchangeOrder, OrderRequest, OrderSide, OrderStatus, OrderType } from './port.ts';
import { type BackoffPolicy, backoffDelay, realSleep, type Sleep } from './retry.ts';

export interface OrderIntent {
  /** The order intent this order carries out (a signal id, any stable key). */
  intentId: string | number;
  leg: OrderLeg;
  attempt: number;
  owner: string;
  accountId: number;
  /** When set, the order is linked to this signal in public.signal_orders (same transaction). */
  signalId?: number;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  amount: string;
  price?: string;
  stopPrice?: string;
  reduceOnly?: boolean;
  /** Client order id namespace (default "tf"). */
  clientOrderIdPrefix?: string;
}

/** public.orders.status */
export type OrderRowStatus = OrderStatus | 'pending' | 'unknown' | 'failed';

export type PlacementOutcome =
  /** Sent and answered. */
  | 'placed'
  /** The answer was lost (or a previous run crashed) and the order was found by client id. */
  | 'found'
  /** Refused by the venue or by the market's limits; nothing is on the exchange. */
  | 'rejected'
  /** Certainly not on the exchange (looked up); a new attempt may be placed. */
  | 'failed'
  /** Not seen: reconcile by client id later. Never send this attempt blindly. */
  | 'unknown'
  /** The row was already past placement; nothing was sent. */
  | 'unchanged';

export interface PlacementResult {
  orderId: number;
  clientOrderId: string;
  status: OrderRowStatus;
  outcome: PlacementOutcome;
  reason: string | null;
  order: ExchangeOrder | null;
  /** Create requests this run sent. */
  sends: number;
}

export interface PlacementOptions {
  /** Most creates one run sends for one attempt, after refusals before processing (default 3). */
  maxSends?: number;
  /** Backoff between those sends (default 500 ms doubling, max 5 s). */
  resendBackoff?: BackoffPolicy;
  /** How long a send may still execute after its answer was lost (default 60 s). */
  inFlightMs?: number;
  /** Audit actor (default "worker:placement"). */
  actor?: string;
  sleep?: Sleep;
  random?: () => number;
  /**
   * Runs inside the transaction that writes the pending row, before the insert (and only when no
   * row exists yet for the intent). Throwing aborts that transaction, so nothing is written or
   * sent: the risk engine's in-transaction re-check (shared/risk entryRiskGuard) hooks in here.
   */
  beforeInsert?: (tx: SqlQueryable, intent: OrderIntent) => Promise<void>;
}

const DEFAULT_RESEND: BackoffPolicy = { attempts: 3, baseMs: 500, maxMs: 5_000 };
const DEFAULT_IN_FLIGHT_MS = 60_000;

interface OrderRow {
  id: number;
  owner: string;
  account_id: number;
  client_order_id: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  amount: string;
  price: string | null;
  stop_price: string | null;
  reduce_only: boolean;
  status: OrderRowStatus;
  /** Milliseconds since the last send (or the row's creation), by the database clock. */
  send_age_ms: number;
}

const ROW_COLUMNS = `id, owner, account_id, client_order_id, symbol, side, type, amount::text as amount,
  price::text as price, stop_price::text as stop_price, reduce_only, status,
  (extract(epoch from (pg_catalog.now() - coalesce(submitted_at, created_at))) * 1000)::float8 as send_age_ms`;

export async function placeOrder(
  db: SqlClient,
  exchange: Exchange,
  intent: OrderIntent,
  options: PlacementOptions = {},
): Promise<PlacementResult> {
  const clientOrderId = clientOrderIdFor({
    intentId: intent.intentId,
    leg: intent.leg,
    attempt: intent.attempt,
    ...(intent.clientOrderIdPrefix === undefined ? {} : { prefix: intent.clientOrderIdPrefix }),
  });
  const run = new Placement(db, exchange, options);

  const existing = await run.findRow(clientOrderId);
  if (existing) return run.resume(existing, intent);

  const row = await run.writePending(intent, clientOrderId, await normalised(exchange, intent));
  if (!row) return run.resume((await run.findRow(clientOrderId))!, intent); // a concurrent run wrote it first
  return run.send(row);
}

export interface ReconcileOptions {
  /** A pending or unknown row whose last send is younger than this is left alone (default 60 s). */
  inFlightMs?: number;
  /** At most this many rows per call (default 100). */
  limit?: number;
  actor?: string;
}

export interface ReconcileResult {
  checked: number;
  /** Found on the exchange and recorded. */
  recorded: string[];
  /** Certainly not on the exchange: marked failed. */
  failed: string[];
  /** Still unknown (too recent, or the lookup failed). */
  unresolved: string[];
}

/**
 * Settles the account's `unknown` orders (and `pending` ones a crashed run left behind) by
 * looking each up by client id. Found → recorded with the exchange's status. Absent, and no
 * send can still be in flight → `failed`, so the worker may place a new attempt. Never sends.
 * Stops early when our guards refuse (circuit open): the rest waits for the next sweep.
 */
export async function reconcileUnknownOrders(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const inFlightMs = options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS;
  const run = new Placement(db, exchange, { ...options, inFlightMs });
  const rows = await db.query<OrderRow>(
    `select ${ROW_COLUMNS} from public.orders
      where account_id = $1
        and (status = 'unknown'
             or (status = 'pending'
                 and coalesce(submitted_at, created_at) < pg_catalog.now() - $2::double precision * interval '1 millisecond'))
      order by id limit $3`,
    [accountId, inFlightMs, options.limit ?? 100],
  );
  const result: ReconcileResult = { checked: 0, recorded: [], failed: [], unresolved: [] };
  for (const row of rows) {
    result.checked += 1;
    let found: ExchangeOrder | null;
    try {
      found = await exchange.fetchOrder(row.symbol, { clientOrderId: row.client_order_id });
    } catch (error) {
      const kind = classifyExchangeError(error);
      if (kind === 'bug') throw error;
      result.unresolved.push(row.client_order_id);
      if (kind === 'not_sent') break;
      continue;
    }
    if (found) {
      await run.record(row, found);
      result.recorded.push(row.client_order_id);
    } else if (row.send_age_ms >= inFlightMs) {
      // Another run may have resumed the row (stamped a new send) since it was read: the mark
      // re-checks the window in the same statement, and a fresh send keeps the row pending.
      const status = await run.mark(
        row,
        'failed',
        'not on the exchange: looked up by client order id after the last send could have executed',
        { unlessSentWithinMs: inFlightMs },
      );
      (status === 'failed' ? result.failed : result.unresolved).push(row.client_order_id);
    } else {
      result.unresolved.push(row.client_order_id);
    }
  }
  return result;
}

/** Amount truncated to the step and prices rounded to the tick before the row is written, so the row holds what is sent. */
async function normalised(
  exchange: Exchange,
  intent: OrderIntent,
): Promise<{ amount: string; price: string | null; stopPrice: string | null }> {
  const market = await exchange.market(intent.symbol);
  const amount = roundAmountToStep(intent.amount, market.amountStep);
  const roundPrice = (p: string | undefined) =>
    p === undefined ? null : toDecimalString(roundPriceToTick(p, market.priceTick));
  return {
    // An amount below one step is kept as asked; the adapter refuses it with the limit's name.
    amount: amount.gt(0) ? toDecimalString(amount) : toDecimalString(intent.amount),
    price: roundPrice(intent.price),
    stopPrice: roundPrice(intent.stopPrice),
  };
}

class Placement {
  private readonly maxSends: number;
  private readonly resendBackoff: BackoffPolicy;
  private readonly inFlightMs: number;
  private readonly actor: string;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly beforeInsert: PlacementOptions['beforeInsert'];

  constructor(
    private readonly db: SqlClient,
    private readonly exchange: Exchange,
    options: PlacementOptions,
  ) {
    this.maxSends = options.maxSends ?? 3;
    this.resendBackoff = options.resendBackoff ?? DEFAULT_RESEND;
    this.inFlightMs = options.inFlightMs ?? DEFAULT_IN_FLIGHT_MS;
    this.actor = options.actor ?? 'worker:placement';
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.beforeInsert = options.beforeInsert;
  }

  async findRow(clientOrderId: string): Promise<OrderRow | undefined> {
    const rows = await this.db.query<OrderRow>(
      `select ${ROW_COLUMNS} from public.orders where client_order_id = $1`,
      [clientOrderId],
    );
    return rows[0];
  }

  /** Step 1: the pending row (and its signal link), committed before any request. Undefined if the id exists. */
  async writePending(
    intent: OrderIntent,
    clientOrderId: string,
    values: { amount: string; price: string | null; stopPrice: string | null },
  ): Promise<OrderRow | undefined> {
    return this.db.transaction(async (tx) => {
      await this.setActor(tx);
      if (this.beforeInsert) await this.beforeInsert(tx, intent);
      const rows = await tx.query<OrderRow>(
        `insert into public.orders (owner, account_id, client_order_id, symbol, side, type, amount, price, stop_price,
                                    reduce_only, status, submitted_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', pg_catalog.now())
         on conflict (client_order_id) do nothing
         returning ${ROW_COLUMNS}`,
        [
          intent.owner,
          intent.accountId,
          clientOrderId,
          intent.symbol,
          intent.side,
          intent.type,
          values.amount,
          values.price,
          values.stopPrice,
          intent.reduceOnly ?? false,
        ],
      );
      const row = rows[0];
      if (row && intent.signalId !== undefined) {
        await tx.query(
          `insert into public.signal_orders (owner, signal_id, order_id, leg, attempt) values ($1, $2, $3, $4, $5)`,
          [intent.owner, intent.signalId, row.id, intent.leg, intent.attempt],
        );
      }
      return row;
    });
  }

  /** A row from an earlier run of the same intent. */
  async resume(row: OrderRow, intent: OrderIntent): Promise<PlacementResult> {
    if (row.account_id !== intent.accountId || row.symbol !== intent.symbol || row.side !== intent.side) {
      throw new Error(
        `client order id ${row.client_order_id} already belongs to a different order (account ${row.account_id}, ${row.side} ${row.symbol})`,
      );
    }
    if (row.status !== 'pending' && row.status !== 'unknown') {
      return this.result(row, row.status, 'unchanged', null, null, 0);
    }
    let found: ExchangeOrder | null;
    try {
      found = await this.lookup(row);
    } catch (error) {
      if (classifyExchangeError(error) === 'bug') throw error;
      const reason = `looked up after an earlier run; lookup failed: ${describeExchangeError(error)}`;
      return this.result(row, await this.mark(row, 'unknown', reason), 'unknown', reason, null, 0);
    }
    if (found) return this.result(row, await this.record(row, found), 'found', null, found, 0);
    if (row.send_age_ms < this.inFlightMs) {
      const reason = 'an earlier send may still be in flight and is not on the exchange yet; reconcile later';
      return this.result(row, await this.mark(row, 'unknown', reason), 'unknown', reason, null, 0);
    }
    if (!(await this.touchSend(row))) return this.result(row, row.status, 'unchanged', null, null, 0);
    return this.send(row);
  }

  /** Steps 2–4. `row` has just been written or stamped with this send's time. */
  async send(row: OrderRow): Promise<PlacementResult> {
    const request = requestFrom(row);
    for (let sends = 1; ; sends++) {
      let failure: unknown;
      try {
        const order = await this.exchange.createOrder(request);
        return this.result(row, await this.record(row, order), 'placed', null, order, sends);
      } catch (error) {
        failure = error;
      }
      const kind = classifyExchangeError(failure);
      const reason = describeExchangeError(failure);
      // A crash stand-in (or a bug): leave the row as it is; the next run resolves it by client id.
      if (kind === 'bug') throw failure;
      if (kind === 'rejected') {
        return this.result(row, await this.mark(row, 'rejected', reason), 'rejected', reason, null, sends);
      }
      if (kind === 'not_sent') {
        // Our guard kept this send back. We only get here when the venue holds no order with
        // this id and no earlier send can still execute (see resume and the loop below).
        const why = `not sent: ${reason}`;
        return this.result(row, await this.mark(row, 'failed', why), 'failed', why, null, sends);
      }

      let found: ExchangeOrder | null;
      try {
        found = await this.lookup(row);
      } catch (lookupError) {
        if (classifyExchangeError(lookupError) === 'bug') throw lookupError;
        const why = `${reason}; lookup by client order id failed: ${describeExchangeError(lookupError)}`;
        return this.result(row, await this.mark(row, 'unknown', why), 'unknown', why, null, sends);
      }
      if (found) return this.result(row, await this.record(row, found), 'found', reason, found, sends);

      if (!wasRefusedBeforeProcessing(failure)) {
        const why = `${reason}; not on the exchange yet, but the send may still execute`;
        return this.result(row, await this.mark(row, 'unknown', why), 'unknown', why, null, sends);
      }
      if (sends >= this.maxSends) {
        const why = `${reason}; not on the exchange after ${sends} sends`;
        return this.result(row, await this.mark(row, 'failed', why), 'failed', why, null, sends);
      }
      await this.sleep(backoffDelay(sends, this.resendBackoff, this.random));
      if (!(await this.touchSend(row))) return this.result(row, row.status, 'unchanged', reason, null, sends);
    }
  }

  /** Records what the exchange says about the order; returns the row's status afterwards. */
  async record(row: OrderRow, order: ExchangeOrder): Promise<OrderRowStatus> {
    // pending → expired is not a transition the database allows; the order was open first.
    const path: OrderRowStatus[] =
      row.status === 'pending' && order.status === 'expired' ? ['open', 'expired'] : [order.status];
    return this.db.transaction(async (tx) => {
      await this.setActor(tx);
      let status = row.status;
      for (const next of path) {
        const rows = await tx.query<{ status: OrderRowStatus }>(
          `update public.orders
              set status = $3,
                  status_reason = null,
                  exchange_order_id = $4,
                  amount = coalesce($5::numeric, amount),
                  filled_amount = greatest(filled_amount, least($6::numeric, coalesce($5::numeric, amount))),
                  average_price = coalesce($7::numeric, average_price),
                  fee_cost = coalesce($8::numeric, fee_cost),
                  fee_currency = coalesce($9, fee_currency),
                  submitted_at = coalesce(submitted_at, pg_catalog.now())
            where id = $1 and status = $2
            returning status`,
          [
            row.id,
            status,
            next,
            order.exchangeOrderId,
            order.amount,
            order.filled,
            order.averagePrice,
            order.fee?.cost ?? null,
            order.fee?.currency ?? null,
          ],
        );
        if (!rows[0]) return this.currentStatus(tx, row.id); // someone else moved it; theirs stands
        status = rows[0].status;
      }
      row.status = status;
      return status;
    });
  }

  /** Moves the row to a status placement decided (rejected, failed, unknown) with its reason. */
  async mark(
    row: OrderRow,
    status: 'rejected' | 'failed' | 'unknown',
    reason: string,
    options: { unlessSentWithinMs?: number } = {},
  ): Promise<OrderRowStatus> {
    return this.db.transaction(async (tx) => {
      await this.setActor(tx);
      const rows = await tx.query<{ status: OrderRowStatus }>(
        `update public.orders set status = $3, status_reason = $4
          where id = $1 and status = $2
            and ($5::double precision is null
                 or coalesce(submitted_at, created_at) < pg_catalog.now() - $5::double precision * interval '1 millisecond')
          returning status`,
        [row.id, row.status, status, reason, options.unlessSentWithinMs ?? null],
      );
      if (!rows[0]) return this.currentStatus(tx, row.id);
      row.status = status;
      return status;
    });
  }

  /**
   * Stamps the time of a send about to happen, committed before it (what `inFlightMs` is
   * measured from) — only while the row is still in the status this run read. False when
   * another run moved it meanwhile (reconciliation marked it failed, or recorded the exchange's
   * answer): then nothing may be sent, or a second order could go out beside a new attempt.
   */
  async touchSend(row: OrderRow): Promise<boolean> {
    const rows = await this.db.query(
      'update public.orders set submitted_at = pg_catalog.now() where id = $1 and status = $2 returning id',
      [row.id, row.status],
    );
    if (rows.length === 0) {
      row.status = await this.currentStatus(this.db, row.id);
      return false;
    }
    row.send_age_ms = 0;
    return true;
  }

  lookup(row: OrderRow): Promise<ExchangeOrder | null> {
    return this.exchange.fetchOrder(row.symbol, { clientOrderId: row.client_order_id });
  }

  result(
    row: OrderRow,
    status: OrderRowStatus,
    outcome: PlacementOutcome,
    reason: string | null,
    order: ExchangeOrder | null,
    sends: number,
  ): PlacementResult {
    return { orderId: row.id, clientOrderId: row.client_order_id, status, outcome, reason, order, sends };
  }

  private async currentStatus(tx: SqlQueryable, id: number): Promise<OrderRowStatus> {
    const rows = await tx.query<{ status: OrderRowStatus }>(
      'select status from public.orders where id = $1',
      [id],
    );
    return rows[0]!.status;
  }

  private async setActor(tx: SqlQueryable): Promise<void> {
    await tx.query(`select pg_catalog.set_config('tradeflow.actor', $1, true)`, [this.actor]);
  }
}

function requestFrom(row: OrderRow): OrderRequest {
  return {
    clientOrderId: row.client_order_id,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    amount: row.amount,
    ...(row.price === null ? {} : { price: row.price }),
    ...(row.stop_price === null ? {} : { stopPrice: row.stop_price }),
    ...(row.reduce_only ? { reduceOnly: true } : {}),
  };
}
