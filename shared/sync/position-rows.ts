/** The open position row of an (account, symbol), read into and written from the pure accounting state. */
import type { SqlQueryable } from '../db/sql.ts';
import { dec } from '../money/decimal.ts';
import type { Flatness } from '../positions/dust.ts';
import { EMPTY_POSITION, type PositionState, unrealizedPnl } from '../positions/ledger.ts';
import { fromMs } from './transaction.ts';

export interface PositionRow {
  id: number;
  owner: string;
  symbol: string;
  side: 'long' | 'short';
  amount: string;
  cost_basis: string;
  entry_price: string | null;
  realized_pnl: string;
  fees_paid: string;
}

export const POSITION_COLUMNS = `id, owner, symbol, side, amount::text as amount, cost_basis::text as cost_basis,
  entry_price::text as entry_price, realized_pnl::text as realized_pnl, fees_paid::text as fees_paid`;

export async function lockOpenPosition(
  tx: SqlQueryable,
  accountId: number,
  symbol: string,
): Promise<PositionRow | undefined> {
  const rows = await tx.query<PositionRow>(
    `select ${POSITION_COLUMNS} from public.positions where account_id = $1 and symbol = $2 and status = 'open' for update`,
    [accountId, symbol],
  );
  return rows[0];
}

export function stateOf(row: PositionRow | undefined): PositionState {
  if (!row) return EMPTY_POSITION;
  const amount = dec(row.amount);
  return {
    side: amount.isZero() ? null : row.side,
    amount,
    costBasis: dec(row.cost_basis),
    entryPrice: row.entry_price === null ? null : dec(row.entry_price),
    realizedPnl: dec(row.realized_pnl),
    feesPaid: dec(row.fees_paid),
    otherFees: {},
  };
}

export async function insertPosition(
  tx: SqlQueryable,
  fields: { owner: string; accountId: number; symbol: string; side: 'long' | 'short'; openedAt: number },
): Promise<PositionRow> {
  const rows = await tx.query<PositionRow>(
    `insert into public.positions (owner, account_id, symbol, side, opened_at)
     values ($1, $2, $3, $4, ${fromMs('$5')}) returning ${POSITION_COLUMNS}`,
    [fields.owner, fields.accountId, fields.symbol, fields.side, fields.openedAt],
  );
  return rows[0]!;
}

/**
 * Writes `state` onto the row, marked at `mark`. A flat state closes the row: amount 0, the
 * dust recorded, closed at `at` (exchange time of the fill that made it flat).
 */
export async function writePosition(
  tx: SqlQueryable,
  row: PositionRow,
  state: PositionState,
  mark: string,
  flat: Flatness,
  at: number,
): Promise<void> {
  if (flat.flat) {
    await tx.query(
      `update public.positions
          set status = 'closed', amount = 0, cost_basis = 0, dust = $2, mark_price = $3,
              realized_pnl = $4, unrealized_pnl = 0, fees_paid = $5, closed_at = ${fromMs('$6')},
              entry_price = coalesce($7, entry_price)
        where id = $1`,
      [
        row.id,
        flat.dust.toFixed(),
        mark,
        state.realizedPnl.toFixed(),
        state.feesPaid.toFixed(),
        at,
        state.entryPrice?.toFixed() ?? null,
      ],
    );
    return;
  }
  await tx.query(
    `update public.positions
        set side = $2, amount = $3, cost_basis = $4, entry_price = $5, mark_price = $6,
            realized_pnl = $7, unrealized_pnl = $8, fees_paid = $9
      where id = $1`,
    [
      row.id,
      state.side ?? row.side,
      state.amount.toFixed(),
      state.costBasis.toFixed(),
      state.entryPrice?.toFixed() ?? null,
      mark,
      state.realizedPnl.toFixed(),
      unrealizedPnl(state, mark).toFixed(),
      state.feesPaid.toFixed(),
    ],
  );
}
