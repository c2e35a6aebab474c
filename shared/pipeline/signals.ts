/**
 * Reading signals and moving them along the lifecycle as the worker. Every move is a
 * compare-and-set on the current status (`where status = from`), so a handler that runs twice,
 * or races a user's cancel, changes nothing the second time; the database's lifecycle trigger
 * refuses illegal moves and writes the audit row with the actor and context set here.
 */
import type { SqlQueryable } from '../db/sql.ts';

export type SignalStatus =
  | 'new'
  | 'analyzing'
  | 'monitoring'
  | 'ready'
  | 'in_position'
  | 'closed'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'failed';

export interface SignalRow {
  id: number;
  owner: string;
  trader_id: number;
  symbol: string;
  side: 'long' | 'short';
  status: SignalStatus;
  timeframe: string;
  entry_price: string | null;
  stop_loss: string | null;
  take_profit: string | null;
  note: string | null;
  requires_confirmation: boolean;
  confirmed_at: Date | null;
  /** ms since the epoch */
  expires_at_ms: number | null;
  account_id: number | null;
  account_mode: string | null;
  account_exchange: string | null;
  auto_execute: boolean;
  /** The trader's analysis interval in ms. */
  interval_ms: number;
}

const SIGNAL_COLUMNS = `s.id, s.owner, s.trader_id, s.symbol, s.side, s.status, s.timeframe,
  s.entry_price::text as entry_price, s.stop_loss::text as stop_loss, s.take_profit::text as take_profit,
  s.note, s.requires_confirmation, s.confirmed_at,
  (extract(epoch from s.expires_at) * 1000)::float8 as expires_at_ms,
  t.account_id, a.mode as account_mode, a.exchange as account_exchange, t.auto_execute,
  (extract(epoch from t.analysis_interval) * 1000)::float8 as interval_ms`;

export const SIGNAL_FROM = `public.signals s
  join public.traders t on t.id = s.trader_id
  left join public.exchange_accounts a on a.id = t.account_id`;

export function selectSignals(where: string): string {
  return `select ${SIGNAL_COLUMNS} from ${SIGNAL_FROM} where ${where}`;
}

export async function loadSignal(db: SqlQueryable, signalId: number): Promise<SignalRow | undefined> {
  const rows = await db.query<SignalRow>(selectSignals('s.id = $1'), [signalId]);
  return rows[0];
}

/** Sets the audit actor (`worker:<handler>`) and context for the rest of the transaction. */
export async function actAs(
  tx: SqlQueryable,
  actor: string,
  context: Record<string, unknown> = {},
): Promise<void> {
  await tx.query(
    `select pg_catalog.set_config('tradeflow.actor', $1, true),
            pg_catalog.set_config('tradeflow.context', $2, true)`,
    [actor, JSON.stringify(context)],
  );
}

/**
 * Moves a signal from `from` to `to` with a reason, plus any extra column values. Returns
 * false when the signal was no longer in `from` (someone else moved it first; theirs stands).
 * Call inside a transaction that has `actAs`.
 */
export async function moveSignal(
  tx: SqlQueryable,
  signalId: number,
  from: SignalStatus | readonly SignalStatus[],
  to: SignalStatus,
  reason: string | null,
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const froms = typeof from === 'string' ? [from] : [...from];
  const columns = Object.keys(extra);
  const sets = columns.map((column, i) => `${column} = $${i + 5}`);
  const rows = await tx.query(
    `update public.signals set status = $3, status_reason = $4${sets.length > 0 ? `, ${sets.join(', ')}` : ''}
      where id = $1 and status = any($2::text[]) returning id`,
    [signalId, froms, to, reason === null ? null : reason.slice(0, 2000), ...columns.map((c) => extra[c])],
  );
  return rows.length > 0;
}

/** `epoch ms` → SQL timestamptz expression parameter helper. */
export const AT = (n: number) => `(timestamptz 'epoch' + $${n}::float8 * interval '1 millisecond')`;
