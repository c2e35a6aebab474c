/**
 * sync {} (cron, on worker start, and after order actions): the paper venue first matches its
 * resting orders against the candles that arrived (advancePaperAccounts), then every account
 * with live orders or open positions is reconciled with its exchange (SYNC's syncAccount:
 * orders, fills, positions, signal P&L, unknown orders), and its emulated legs are checked
 * against the new prices. One account's failure (its venue down) does not stop the others;
 * it is reported, and the risk sweep alerts on an open circuit.
 */
import type { SqlClient } from '../db/sql.ts';
import { advancePaperAccounts } from '../exchange/paper/paper-exchange.ts';
import { syncAccount } from '../sync/index.ts';
import type { Pipeline } from './deps.ts';
import { triggerEmulatedOrders } from './emulated-orders.ts';

export interface SyncAllReport {
  accounts: number;
  failed: { accountId: number; error: string }[];
  emulatedFired: number;
}

/** Accounts with something to reconcile: live orders (emulated ones included) or open positions. */
export async function accountsToSync(db: SqlClient, accountId?: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `select a.id from public.exchange_accounts a
      where a.status = 'active' and ($1::bigint is null or a.id = $1)
        and (exists (select 1 from public.orders o
                      where o.account_id = a.id and o.status in ('pending', 'open', 'partially_filled', 'unknown'))
             or exists (select 1 from public.positions p where p.account_id = a.id and p.status = 'open'))
      order by a.id`,
    [accountId ?? null],
  );
  return rows.map((row) => row.id);
}

export async function syncAccounts(pipeline: Pipeline, db: SqlClient, only?: number): Promise<SyncAllReport> {
  const now = pipeline.now();
  await advancePaperAccounts(db, { ...pipeline.paperVenue, clock: pipeline.now }, now);
  const report: SyncAllReport = { accounts: 0, failed: [], emulatedFired: 0 };
  for (const accountId of await accountsToSync(db, only)) {
    try {
      await syncOneAccount(pipeline, db, accountId, now, report);
    } catch (error) {
      report.failed.push({ accountId, error: error instanceof Error ? error.message : String(error) });
      pipeline.log('sync: account failed', { account_id: accountId, error: String(error) });
    }
  }
  return report;
}

async function syncOneAccount(
  pipeline: Pipeline,
  db: SqlClient,
  accountId: number,
  now: number,
  report: SyncAllReport,
): Promise<void> {
  const exchange = await pipeline.exchangeFor(db, accountId);
  await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);
  report.accounts += 1;
  const fired = await triggerEmulatedOrders(db, exchange, accountId, now, pipeline);
  report.emulatedFired += fired.length;
  // An exit that went out fills at once on most venues: record it now, not a minute later.
  if (fired.length > 0) await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);
}
