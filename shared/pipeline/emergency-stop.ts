/**
 * emergency_stop {owner}: the worker's half of the emergency stop (the API's SQL function has
 * already engaged the user's kill switch, halted their traders and cancelled their signals not
 * yet in position). For every account of the user: cancel every open order — the ones we track
 * and any other the exchange still holds — reconcile, close each open position at market, and
 * reconcile again. Every order change is audited in order_events with actor
 * `worker:emergency_stop`; the outcome is one alert. Idempotent: a second run finds nothing
 * open to cancel and exits already working or filled, and sends nothing.
 */
import type { SqlClient } from '../db/sql.ts';
import { classifyExchangeError } from '../exchange/errors.ts';
import { syncAccount } from '../sync/index.ts';
import { raiseAlert } from './alerts.ts';
import { closePositionAtMarket, type OpenPosition } from './close-position.ts';
import type { Pipeline } from './deps.ts';
import { cancelOrderRow, type OrderRow, selectOrders } from './orders.ts';

const ACTOR = 'worker:emergency_stop';
const REASON = 'emergency stop';

export interface EmergencyStopReport {
  accounts: number;
  cancelled: string[];
  exits: string[];
  failures: string[];
}

export async function emergencyStop(
  pipeline: Pipeline,
  db: SqlClient,
  owner: string,
): Promise<EmergencyStopReport> {
  const now = pipeline.now();
  const report: EmergencyStopReport = { accounts: 0, cancelled: [], exits: [], failures: [] };
  const accounts = await db.query<{ id: number }>(
    `select id from public.exchange_accounts where owner = $1 and status = 'active' order by id`,
    [owner],
  );
  for (const { id: accountId } of accounts) {
    try {
      await stopAccount(pipeline, db, accountId, now, report);
      report.accounts += 1;
    } catch (error) {
      report.failures.push(`account ${accountId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const failed = report.failures.length > 0;
  await raiseAlert(db, {
    owner,
    severity: failed ? 'critical' : 'warning',
    kind: failed ? 'emergency_stop_incomplete' : 'emergency_stop_done',
    subject: `emergency_stop:${new Date(now).toISOString().slice(0, 10)}`,
    message: failed
      ? `Emergency stop could not finish on every account: ${report.failures.join('; ')}. It is retried.`
      : `Emergency stop: ${report.cancelled.length} orders cancelled, ${report.exits.length} positions closed at market.`,
    context: { ...report },
  });
  // A failure (an exchange down) must not leave positions open: the job is retried.
  if (failed) throw new Error(`emergency stop incomplete: ${report.failures.join('; ')}`);
  return report;
}

async function stopAccount(
  pipeline: Pipeline,
  db: SqlClient,
  accountId: number,
  now: number,
  report: EmergencyStopReport,
): Promise<void> {
  const exchange = await pipeline.exchangeFor(db, accountId);
  const live = await db.query<OrderRow>(
    `${selectOrders(`o.account_id = $1 and o.status in ('pending', 'open', 'partially_filled', 'unknown')`)} order by o.id`,
    [accountId],
  );
  for (const row of live) {
    const status = await cancelOrderRow(db, exchange, row, REASON, ACTOR);
    if (status === 'cancelled' || status === 'failed') report.cancelled.push(row.client_order_id);
  }
  // Orders the exchange holds that we do not track (placed by hand, or by another tool).
  for (const order of await exchange.openOrders()) {
    try {
      await exchange.cancelOrder(order.symbol, { exchangeOrderId: order.exchangeOrderId });
      report.cancelled.push(order.clientOrderId ?? order.exchangeOrderId);
    } catch (error) {
      if (classifyExchangeError(error) === 'bug') throw error;
    }
  }
  await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);

  const positions = await db.query<OpenPosition>(
    `select p.id, p.owner, p.account_id, p.symbol, p.side, p.amount::text as amount,
            (select sp.signal_id from public.signal_positions sp where sp.position_id = p.id
              order by sp.id desc limit 1) as signal_id
       from public.positions p
      where p.account_id = $1 and p.status = 'open' and p.amount > 0
      order by p.id`,
    [accountId],
  );
  for (const position of positions) {
    const closed = await closePositionAtMarket(pipeline, db, exchange, position, REASON, ACTOR);
    if (closed.kind === 'placed') report.exits.push(closed.placement.clientOrderId);
  }
  await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);
}
