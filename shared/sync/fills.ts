/**
 * One fill, recorded once and folded into its position in the same transaction.
 *
 * Under the (account, symbol) cursor lock: find the order the fill belongs to (by exchange order
 * id), skip it if it is already recorded, apply it to the open position (created on the first
 * fill, closed when flat), insert the trade execution pointing at that position, and, for an
 * entry fill, link the signal to the position and move it `ready → in_position`. A crash at
 * any point rolls all of it back, so the next sync finds the fill new again and applies it once.
 */
import type { SqlClient } from '../db/sql.ts';
import type { Fill, MarketInfo } from '../exchange/port.ts';
import { flatness } from '../positions/dust.ts';
import { applyFill } from '../positions/ledger.ts';
import { lockCursor } from './cursor.ts';
import { insertPosition, lockOpenPosition, stateOf, writePosition } from './position-rows.ts';
import { fromMs, syncTransaction } from './transaction.ts';

export type FillOutcome =
  /** Its order is not (yet) known by exchange order id: a foreign trade, or a row not reconciled yet. */
  | { kind: 'unmatched' }
  | { kind: 'known' }
  | {
      kind: 'recorded';
      positionId: number;
      positionOpened: boolean;
      positionClosed: boolean;
      dust: string;
      /** The signal this entry fill moved to in_position. */
      signalInPosition: number | null;
    };

interface OrderLink {
  id: number;
  owner: string;
  signal_id: number | null;
  leg: string | null;
}

export async function recordFill(
  db: SqlClient,
  accountId: number,
  market: MarketInfo,
  fill: Fill,
): Promise<FillOutcome> {
  return syncTransaction(db, { trade_id: fill.tradeId }, async (tx) => {
    await lockCursor(tx, accountId, fill.symbol);
    const orders = await tx.query<OrderLink>(
      `select o.id, o.owner, so.signal_id, so.leg
         from public.orders o left join public.signal_orders so on so.order_id = o.id
        where o.account_id = $1 and o.exchange_order_id = $2`,
      [accountId, fill.exchangeOrderId],
    );
    const order = orders[0];
    if (!order) return { kind: 'unmatched' };
    const known = await tx.query(
      'select 1 from public.trade_executions where account_id = $1 and exchange_trade_id = $2',
      [accountId, fill.tradeId],
    );
    if (known.length > 0) return { kind: 'known' };

    let position = await lockOpenPosition(tx, accountId, fill.symbol);
    const effect = applyFill(stateOf(position), fill, market);
    const positionOpened = !position;
    if (!position) {
      position = await insertPosition(tx, {
        owner: order.owner,
        accountId,
        symbol: fill.symbol,
        side: effect.state.side ?? (fill.side === 'buy' ? 'long' : 'short'),
        openedAt: fill.timestamp,
      });
    }
    const flat = flatness(effect.state, market, fill.price);
    await writePosition(tx, position, effect.state, fill.price, flat, fill.timestamp);

    const inserted = await tx.query(
      `insert into public.trade_executions (owner, order_id, account_id, exchange_trade_id, symbol, side, price,
         amount, cost, fee_cost, fee_currency, liquidity, executed_at, position_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, ${fromMs('$13')}, $14)
       on conflict (account_id, exchange_trade_id) do nothing returning id`,
      [
        order.owner,
        order.id,
        accountId,
        fill.tradeId,
        fill.symbol,
        fill.side,
        fill.price,
        fill.amount,
        fill.cost,
        fill.fee?.cost ?? '0',
        fill.fee?.currency ?? null,
        fill.liquidity,
        fill.timestamp,
        position.id,
      ],
    );
    // Someone recorded it without holding the cursor lock: undo our position change.
    if (inserted.length === 0) throw new Error(`sync: fill ${fill.tradeId} was recorded concurrently`);

    let signalInPosition: number | null = null;
    if (order.leg === 'entry' && order.signal_id !== null) {
      await tx.query(
        `insert into public.signal_positions (owner, signal_id, position_id) values ($1, $2, $3)
         on conflict (signal_id) do nothing`,
        [order.owner, order.signal_id, position.id],
      );
      const moved = await tx.query(
        `update public.signals set status = 'in_position', status_reason = 'entry filled'
          where id = $1 and status = 'ready' returning id`,
        [order.signal_id],
      );
      if (moved.length > 0) signalInPosition = order.signal_id;
    }
    return {
      kind: 'recorded',
      positionId: position.id,
      positionOpened,
      positionClosed: flat.flat,
      dust: flat.flat ? flat.dust.toFixed() : '0',
      signalInPosition,
    };
  });
}
