/**
 * sync {} (cron, on worker start, and after order actions): every account with live orders or
 * open positions is reconciled with its exchange (SYNC's syncAccount: the paper venue matches
 * its resting orders first, then orders, fills, positions, signal P&L, unknown orders, emulated
 * legs that can no longer fire), and its emulated legs are checked against the new prices.
 * One account's failure (its venue down) does not stop the others; it is reported, and the
 * risk sweep alerts on an open circuit.
 *
 * Fan-out: the cron sweep reconciles the first `syncInlineAccounts` accounts itself and
 * enqueues one `sync {account_id}` job for each of the others (deduplicated per account). With
 * a real venue an account costs several exchange round trips, so one invocation walking
 * hundreds of accounts would outlive its time budget; as separate jobs they are shared by
 * every worker invocation, and a slow venue holds up only its own accounts.
 */
import type { SqlClient } from '../db/sql.ts';
import { syncAccount } from '../sync/index.ts';
import type { Pipeline } from './deps.ts';
import { triggerEmulatedOrders } from './emulated-orders.ts';

export interface SyncAllReport {
  accounts: number;
  failed: { accountId: number; error: string }[];
  emulatedFired: number;
  /** Accounts handed to their own `sync {account_id}` job. */
  fannedOut: number;
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

/** Reconciles one account (`only`) or, for the cron sweep, every account that needs it (see the header). */
export async function syncAccounts(pipeline: Pipeline, db: SqlClient, only?: number): Promise<SyncAllReport> {
  const now = pipeline.now();
  const report: SyncAllReport = { accounts: 0, failed: [], emulatedFired: 0, fannedOut: 0 };
  const accounts = await accountsToSync(db, only);
  const inline = only === undefined ? accounts.slice(0, pipeline.settings.syncInlineAccounts) : accounts;
  report.fannedOut = await fanOut(db, accounts.slice(inline.length));
  for (const accountId of inline) {
    try {
      await syncOneAccount(pipeline, db, accountId, now, report);
    } catch (error) {
      report.failed.push({ accountId, error: error instanceof Error ? error.message : String(error) });
      pipeline.log('sync: account failed', { account_id: accountId, error: String(error) });
    }
  }
  return report;
}

/** One `sync {account_id}` job per account, unless one is already waiting or running. */
async function fanOut(db: SqlClient, accountIds: number[]): Promise<number> {
  if (accountIds.length === 0) return 0;
  await db.query(
    `select queue.enqueue('sync', pg_catalog.jsonb_build_object('account_id', a), 'sync:account:' || a)
       from unnest($1::bigint[]) as a`,
    [accountIds],
  );
  return accountIds.length;
}

async function syncOneAccount(
  pipeline: Pipeline,
  db: SqlClient,
  accountId: number,
  now: number,
  report: SyncAllReport,
): Promise<void> {
  const exchange = await pipeline.exchangeFor(db, accountId);
  const synced = await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);
  report.accounts += 1;
  const fired = await triggerEmulatedOrders(db, exchange, accountId, now, {
    ...(pipeline.placement === undefined ? {} : { placement: pipeline.placement }),
    prices: synced.prices,
    settled: true,
  });
  report.emulatedFired += fired.length;
  // An exit that went out fills at once on most venues: record it now, not a minute later.
  if (fired.length > 0) await syncAccount(db, exchange, accountId, now, pipeline.syncOptions);
}
