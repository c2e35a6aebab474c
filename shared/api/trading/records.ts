/**
 * The trading records the system writes and the user reads: orders (with their audit trail
 * and fills) and positions. Newest first, keyset-paginated.
 *
 *   GET /api/orders      ?status&symbol&account_id&signal_id&limit&cursor → 200 { orders, next_cursor }
 *   GET /api/orders/:id                                                  → 200 { order, events, fills }
 *   GET /api/positions   ?status=open|closed&symbol&account_id&limit&cursor → 200 { positions, next_cursor }
 *   GET /api/positions/:id                                               → 200 { position }
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { asUser } from '../../db/sql.ts';
import type { UserVariables } from '../require-user.ts';
import { parseWith } from '../validation.ts';
import { idField, idOf, notFound, page, pageQuery, type TradingDeps } from './common.ts';
import { symbolField } from './traders.ts';

/** Orders with the signal and leg they were placed for (none for manual or sweep orders). */
export const ORDER_SELECT = `select o.id, o.account_id, so.signal_id, so.leg, so.attempt, o.client_order_id,
    o.exchange_order_id, o.symbol, o.side, o.type, o.amount, o.price, o.stop_price, o.reduce_only, o.emulated,
    o.oco_group, o.status, o.status_reason, o.filled_amount, o.average_price, o.fee_cost, o.fee_currency,
    o.submitted_at, o.closed_at, o.created_at, o.updated_at
  from public.orders o left join public.signal_orders so on so.order_id = o.id`;

/** Positions with the signals that opened them. */
export const POSITION_SELECT = `select p.id, p.account_id, p.symbol, p.side, p.status, p.amount, p.entry_price,
    p.mark_price, p.realized_pnl, p.unrealized_pnl, p.fees_paid, p.liquidation_price, p.opened_at, p.closed_at,
    p.updated_at,
    array(select sp.signal_id from public.signal_positions sp where sp.position_id = p.id order by sp.signal_id)
      as signal_ids
  from public.positions p`;

const ORDER_STATUSES = [
  'pending',
  'open',
  'partially_filled',
  'filled',
  'cancelled',
  'rejected',
  'expired',
  'unknown',
  'failed',
] as const;

const ordersQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES, { error: `must be one of ${ORDER_STATUSES.join(', ')}` }).optional(),
  symbol: symbolField.optional(),
  account_id: idField('an exchange account').optional(),
  signal_id: idField('a signal').optional(),
  ...pageQuery,
});

const positionsQuery = z.strictObject({
  status: z.enum(['open', 'closed'], { error: 'must be open or closed' }).optional(),
  symbol: symbolField.optional(),
  account_id: idField('an exchange account').optional(),
  ...pageQuery,
});

interface Identified {
  id: number;
}

export function orderRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const query = parseWith(ordersQuery, c.req.query(), 'query');
    const rows = await asUser(deps.db, c.get('user').userId, (tx) =>
      tx.query<Identified>(
        `${ORDER_SELECT}
          where ($1::text is null or o.status = $1) and ($2::text is null or o.symbol = $2)
            and ($3::bigint is null or o.account_id = $3) and ($4::bigint is null or so.signal_id = $4)
            and ($5::bigint is null or o.id < $5)
          order by o.id desc limit $6`,
        [
          query.status ?? null,
          query.symbol ?? null,
          query.account_id ?? null,
          query.signal_id ?? null,
          query.cursor ?? null,
          query.limit,
        ],
      ),
    );
    const { rows: orders, next_cursor } = page(rows, query.limit);
    return c.json({ orders, next_cursor });
  });

  app.get('/:id', async (c) => {
    const id = idOf(c);
    const found = await asUser(deps.db, c.get('user').userId, async (tx) => {
      const [order] = await tx.query(`${ORDER_SELECT} where o.id = $1`, [id]);
      if (!order) return undefined;
      const events = await tx.query(
        `select id, from_status, to_status, filled_amount, previous_filled_amount, actor, reason, context, created_at
           from public.order_events where order_id = $1 order by id`,
        [id],
      );
      const fills = await tx.query(
        `select id, exchange_trade_id, symbol, side, price, amount, cost, fee_cost, fee_currency, liquidity,
                executed_at, created_at
           from public.trade_executions where order_id = $1 order by executed_at, id`,
        [id],
      );
      return { order, events, fills };
    });
    if (!found) throw notFound('order', id);
    return c.json(found);
  });

  return app;
}

export function positionRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const query = parseWith(positionsQuery, c.req.query(), 'query');
    const rows = await asUser(deps.db, c.get('user').userId, (tx) =>
      tx.query<Identified>(
        `${POSITION_SELECT}
          where ($1::text is null or p.status = $1) and ($2::text is null or p.symbol = $2)
            and ($3::bigint is null or p.account_id = $3) and ($4::bigint is null or p.id < $4)
          order by p.id desc limit $5`,
        [
          query.status ?? null,
          query.symbol ?? null,
          query.account_id ?? null,
          query.cursor ?? null,
          query.limit,
        ],
      ),
    );
    const { rows: positions, next_cursor } = page(rows, query.limit);
    return c.json({ positions, next_cursor });
  });

  app.get('/:id', async (c) => {
    const id = idOf(c);
    const [position] = await asUser(deps.db, c.get('user').userId, (tx) =>
      tx.query(`${POSITION_SELECT} where p.id = $1`, [id]),
    );
    if (!position) throw notFound('position', id);
    return c.json({ position });
  });

  return app;
}
