/**
 * SQL for signals. Every statement runs inside `asUser` (role `authenticated`, RLS on), so it
 * sees only the caller's rows; the lifecycle trigger decides which status changes they may
 * make (only cancelling) and writes the audit rows.
 */
import type { SqlQueryable } from '../../db/sql.ts';
import { ORDER_SELECT, POSITION_SELECT } from '../trading/records.ts';
import type { CreateSignalBody, ListSignalsQuery } from './schemas.ts';

export const SIGNAL_COLUMNS = `id, trader_id, symbol, side, status, status_reason, source, timeframe, entry_price,
  stop_loss, take_profit, confidence, note, analysis, analysis_model, analysis_tokens, analysis_latency_ms,
  requires_confirmation, confirmed_at, realized_pnl, fees_paid, expires_at, closed_at, created_at, updated_at`;

export interface SignalRow {
  id: number;
  trader_id: number;
  status: string;
  [column: string]: unknown;
}

export const LEGS = ['entry', 'stop_loss', 'take_profit', 'exit'] as const;

export async function findSignal(tx: SqlQueryable, id: number): Promise<SignalRow | undefined> {
  const rows = await tx.query<SignalRow>(`select ${SIGNAL_COLUMNS} from public.signals where id = $1`, [id]);
  return rows[0];
}

/** The signal's status, with its row locked so a cancel and the worker cannot interleave. */
export async function lockSignalStatus(tx: SqlQueryable, id: number): Promise<string | undefined> {
  const rows = await tx.query<{ status: string }>(
    'select status from public.signals where id = $1 for update',
    [id],
  );
  return rows[0]?.status;
}

export async function listSignals(tx: SqlQueryable, query: ListSignalsQuery): Promise<SignalRow[]> {
  return tx.query<SignalRow>(
    `select ${SIGNAL_COLUMNS} from public.signals
      where ($1::text is null or status = $1) and ($2::bigint is null or trader_id = $2)
        and ($3::text is null or symbol = $3) and ($4::bigint is null or id < $4)
      order by id desc limit $5`,
    [query.status ?? null, query.trader_id ?? null, query.symbol ?? null, query.cursor ?? null, query.limit],
  );
}

/** True when the user's kill switch, or this trader's, is engaged. */
export async function killSwitchEngaged(tx: SqlQueryable, traderId: number): Promise<boolean> {
  const rows = await tx.query(
    `select 1 from public.kill_switches
      where engaged and (trader_id is null or trader_id = $1) limit 1`,
    [traderId],
  );
  return rows.length > 0;
}

export async function isFuture(tx: SqlQueryable, time: string): Promise<boolean> {
  const rows = await tx.query<{ future: boolean }>('select $1::timestamptz > now() as future', [time]);
  return rows[0]!.future;
}

const INSERTABLE: [keyof CreateSignalBody, string][] = [
  ['trader_id', 'bigint'],
  ['symbol', 'text'],
  ['side', 'text'],
  ['entry_price', 'numeric'],
  ['stop_loss', 'numeric'],
  ['take_profit', 'numeric'],
  ['timeframe', 'text'],
  ['note', 'text'],
  ['expires_at', 'timestamptz'],
];

/** Inserts the given fields only, so the table's defaults (timeframe, expiry from the trader's TTL) apply. */
export async function insertSignal(tx: SqlQueryable, body: CreateSignalBody): Promise<number> {
  const given = INSERTABLE.filter(([field]) => body[field] !== undefined);
  const rows = await tx.query<{ id: number }>(
    `insert into public.signals (${given.map(([field]) => field).join(', ')})
     values (${given.map(([, type], i) => `$${i + 1}::${type}`).join(', ')})
     returning id`,
    given.map(([field]) => body[field]),
  );
  return rows[0]!.id;
}

export async function cancelSignal(tx: SqlQueryable, id: number, reason: string): Promise<void> {
  await tx.query(`update public.signals set status = 'cancelled', status_reason = $2 where id = $1`, [
    id,
    reason,
  ]);
}

/** Everything that happened to a signal: its audit trail, snapshots, orders by leg and position. */
export async function signalHistory(tx: SqlQueryable, id: number) {
  const events = await tx.query(
    `select id, from_status, to_status, actor, reason, context, created_at
       from public.signal_events where signal_id = $1 order by id`,
    [id],
  );
  const snapshots = await tx.query(
    `select id, decision, price, inputs, created_at
       from public.signal_monitoring_snapshots where signal_id = $1 order by id`,
    [id],
  );
  const orderRows = await tx.query<{ leg: (typeof LEGS)[number] }>(
    `${ORDER_SELECT} where so.signal_id = $1 order by so.leg, so.attempt, o.id`,
    [id],
  );
  const orders = Object.fromEntries(LEGS.map((leg) => [leg, orderRows.filter((row) => row.leg === leg)]));
  const [position] = await tx.query(
    `${POSITION_SELECT} where p.id = (select position_id from public.signal_positions where signal_id = $1)`,
    [id],
  );
  return { events, snapshots, orders, position: position ?? null };
}
