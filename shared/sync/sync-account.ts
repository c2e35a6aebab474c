/**
 * The sync job for one exchange account: make the database agree with the exchange.
 *
 *   1. paper venue: match resting orders against the candles that arrived (`advance`);
 *   2. `unknown` orders, and `pending` ones past their in-flight window: reconcileUnknownOrders
 *      (looked up by client id; absent and no send in flight → failed; never guessed);
 *   3. `open` / `partially_filled` orders: fetched by client id; status, filled amount, average
 *      price and fee recorded through legal transitions; one the exchange does not know is
 *      reported and left alone;
 *   4. fills: per symbol, `myTrades` from the cursor; each new fill recorded and folded into its
 *      position in one transaction (./fills.ts); signal `ready → in_position` on its entry fill;
 *   5. OCO: the live siblings of a group member that took a fill are cancelled (emulated legs
 *      in the database alone: the venue never saw them), and emulated legs that can no longer
 *      fire are cancelled (./emulated-legs.ts);
 *   6. signals whose position is flat: orphan sweep, then `in_position → closed` with P&L;
 *   7. open positions marked at the exchange's last price.
 *
 * Idempotent: every step writes only what differs, so a second run changes nothing. A crash
 * between steps leaves committed, consistent pieces; the next run carries on from them.
 */
import type { SqlClient } from '../db/sql.ts';
import { type ReconcileResult, reconcileUnknownOrders } from '../exchange/placement.ts';
import type { Exchange, Fill, MarketInfo } from '../exchange/port.ts';
import { closeFlatSignals } from './close-signals.ts';
import { CURSOR_OVERLAP_MS, readCursor, writeCursor } from './cursor.ts';
import { settleEmulatedLegs } from './emulated-legs.ts';
import { recordFill } from './fills.ts';
import { type MarkedPosition, markToMarket } from './mark-to-market.ts';
import { cancelOcoSiblings } from './oco.ts';
import { loadTransitions, type OrderRow, orderColumns, recordExchangeOrder } from './order-rows.ts';

export interface SyncOptions {
  /** How long a send may still execute after its answer was lost (default 60 s, as placement). */
  inFlightMs?: number;
  /** Mark open positions at the exchange's last price (default true). */
  mark?: boolean;
  /**
   * Only these symbols' working orders, fills and marks (default: all). A handler acting on one
   * signal syncs its own market; the cron sweep syncs everything.
   */
  symbols?: readonly string[];
}

export interface SyncReport {
  accountId: number;
  reconciled: ReconcileResult;
  /** Client ids whose row changed from what the exchange reports. */
  ordersUpdated: string[];
  /** Open on our side, unknown to the exchange: left alone, for a person to look at. */
  ordersMissing: string[];
  fillsRecorded: string[];
  /** Fills of orders we cannot match (yet) by exchange order id. */
  fillsUnmatched: string[];
  positionsOpened: number[];
  positionsClosed: number[];
  /** What closed positions left unsellable. */
  dust: { positionId: number; symbol: string; amount: string }[];
  signalsInPosition: number[];
  signalsClosed: number[];
  /** Signals with a flat position still waiting for an order of theirs to be settled. */
  signalsWaiting: number[];
  ocoCancelled: string[];
  /** Ids of emulated legs cancelled because they can no longer fire. */
  emulatedSettled: number[];
  orphansCancelled: string[];
  marked: MarkedPosition[];
  /** The last prices read for the marks, by symbol (what the emulated legs are checked against next). */
  prices: Record<string, string>;
}

/** The paper venue matches resting orders only when asked; the sync job is what asks. */
interface Advancing {
  advance(now: number): Promise<unknown>;
}
const canAdvance = (exchange: Exchange): exchange is Exchange & Advancing =>
  typeof (exchange as Partial<Advancing>).advance === 'function';

export async function syncAccount(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  now: number,
  options: SyncOptions = {},
): Promise<SyncReport> {
  if (canAdvance(exchange)) await exchange.advance(now);
  const transitions = await loadTransitions(db);
  const reconciled = await reconcileUnknownOrders(db, exchange, accountId, {
    actor: 'worker:sync',
    ...(options.inFlightMs === undefined ? {} : { inFlightMs: options.inFlightMs }),
  });
  const report: SyncReport = {
    accountId,
    reconciled,
    ordersUpdated: [],
    ordersMissing: [],
    fillsRecorded: [],
    fillsUnmatched: [],
    positionsOpened: [],
    positionsClosed: [],
    dust: [],
    signalsInPosition: [],
    signalsClosed: [],
    signalsWaiting: [],
    ocoCancelled: [],
    emulatedSettled: [],
    orphansCancelled: [],
    marked: [],
    prices: {},
  };

  const inScope = (symbol: string) => options.symbols === undefined || options.symbols.includes(symbol);

  // 3. Working orders.
  const working = (
    await db.query<OrderRow>(
      `select ${orderColumns()} from public.orders
        where account_id = $1 and status in ('open', 'partially_filled') and not emulated order by id`,
      [accountId],
    )
  ).filter((row) => inScope(row.symbol));
  for (const row of working) {
    const order = await exchange.fetchOrder(row.symbol, { clientOrderId: row.client_order_id });
    if (!order) {
      report.ordersMissing.push(row.client_order_id);
      continue;
    }
    if ((await recordExchangeOrder(db, row.id, order, transitions)).changed) {
      report.ordersUpdated.push(row.client_order_id);
    }
  }

  // 4. Fills.
  for (const symbol of (await symbolsToSync(db, accountId)).filter(inScope)) {
    await syncFills(db, exchange, accountId, symbol, report);
  }

  // 5–6. OCO groups, then signals whose position is flat.
  const oco = await cancelOcoSiblings(db, exchange, accountId, transitions);
  report.ocoCancelled.push(...oco.cancelled);
  report.emulatedSettled = await settleEmulatedLegs(db, accountId);
  const closing = await closeFlatSignals(db, exchange, accountId, transitions);
  report.signalsClosed.push(...closing.closed);
  report.orphansCancelled.push(...closing.orphansCancelled);
  report.signalsWaiting.push(...closing.waiting);

  // 7. Marks.
  if (options.mark ?? true) {
    const prices = report.prices;
    report.marked = await markToMarket(db, accountId, async (symbol) => {
      if (!inScope(symbol)) return undefined;
      prices[symbol] ??= (await exchange.ticker(symbol)).last;
      return prices[symbol];
    });
  }
  return report;
}

/**
 * Symbols with something to learn: a live order, an open position, or an order (closed in the
 * last week) whose recorded fills do not add up to its filled amount yet.
 */
async function symbolsToSync(db: SqlClient, accountId: number): Promise<string[]> {
  const rows = await db.query<{ symbol: string }>(
    `select symbol from public.orders o
      where o.account_id = $1
        and (o.status in ('pending', 'open', 'partially_filled', 'unknown')
             or (o.filled_amount > 0
                 and coalesce(o.closed_at, pg_catalog.now()) > pg_catalog.now() - interval '7 days'
                 and o.filled_amount > coalesce((select sum(t.amount) from public.trade_executions t
                                                  where t.order_id = o.id), 0)))
     union
     select symbol from public.positions where account_id = $1 and status = 'open'
     order by symbol`,
    [accountId],
  );
  return rows.map((r) => r.symbol);
}

async function syncFills(
  db: SqlClient,
  exchange: Exchange,
  accountId: number,
  symbol: string,
  report: SyncReport,
): Promise<void> {
  // The market's filters are needed only to record a new fill: asked for then, once.
  let market: Promise<MarketInfo> | undefined;
  const marketInfo = () => {
    market ??= exchange.market(symbol);
    return market;
  };
  const cursor = await readCursor(db, accountId, symbol);
  const fills = (await exchange.myTrades(symbol, cursor === null ? undefined : cursor - CURSOR_OVERLAP_MS))
    .slice()
    .sort(byTime);
  // The cursor overlap returns fills recorded by an earlier run: skip those with one read
  // instead of a locked transaction each (recordFill would find them known all the same).
  const known = await recordedTradeIds(db, accountId, fills);
  let newest: number | null = null;
  let firstUnmatched: number | null = null;
  for (const fill of fills) {
    const outcome = known.has(fill.tradeId)
      ? ({ kind: 'known' } as const)
      : await recordFill(db, accountId, await marketInfo(), fill);
    if (outcome.kind === 'unmatched') {
      report.fillsUnmatched.push(fill.tradeId);
      firstUnmatched ??= fill.timestamp;
      continue;
    }
    newest = fill.timestamp;
    if (outcome.kind !== 'recorded') continue;
    report.fillsRecorded.push(fill.tradeId);
    if (outcome.positionOpened) report.positionsOpened.push(outcome.positionId);
    if (outcome.signalInPosition !== null) report.signalsInPosition.push(outcome.signalInPosition);
    if (outcome.positionClosed) {
      report.positionsClosed.push(outcome.positionId);
      if (outcome.dust !== '0') {
        report.dust.push({ positionId: outcome.positionId, symbol, amount: outcome.dust });
      }
    }
  }
  if (newest === null) return;
  // A fill we could not match may belong to an order whose exchange id is not recorded yet
  // (a placement that crashed before recording it): keep asking for it while such a row exists.
  const holdBack = firstUnmatched !== null && (await awaitingExchangeId(db, accountId, symbol));
  const since = holdBack && firstUnmatched! < newest ? firstUnmatched! : newest;
  if (since === cursor) return;
  await writeCursor(db, accountId, symbol, since);
}

async function recordedTradeIds(db: SqlClient, accountId: number, fills: Fill[]): Promise<Set<string>> {
  if (fills.length === 0) return new Set();
  const rows = await db.query<{ exchange_trade_id: string }>(
    `select exchange_trade_id from public.trade_executions
      where account_id = $1 and exchange_trade_id = any($2::text[])`,
    [accountId, fills.map((fill) => fill.tradeId)],
  );
  return new Set(rows.map((row) => row.exchange_trade_id));
}

async function awaitingExchangeId(db: SqlClient, accountId: number, symbol: string): Promise<boolean> {
  const rows = await db.query(
    `select 1 from public.orders where account_id = $1 and symbol = $2 and exchange_order_id is null
        and status in ('pending', 'unknown') limit 1`,
    [accountId, symbol],
  );
  return rows.length > 0;
}

function byTime(a: Fill, b: Fill): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  return a.tradeId < b.tradeId ? -1 : a.tradeId > b.tradeId ? 1 : 0;
}
