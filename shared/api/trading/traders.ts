/**
 * `/api/traders`: a user's signal sources and the rules their signals trade by.
 *
 *   GET   /         → 200 { traders: Trader[] }
 *   POST  /         → 201 { trader }
 *   GET   /:id      → 200 { trader }
 *   PATCH /:id      → 200 { trader }
 *
 * Intervals travel as whole seconds (`analysis_interval_seconds`, `signal_ttl_seconds`), money
 * as decimal strings. `halted_until` and `halt_reason` are read-only: the risk engine and the
 * emergency stop set them (the table's column grants refuse them too). `metrics` is the
 * trader's track record, kept by the database as its signals end (read-only).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { asUser, type SqlQueryable } from '../../db/sql.ts';
import { HttpError } from '../../http/errors.ts';
import type { UserVariables } from '../require-user.ts';
import { readJsonBody } from '../validation.ts';
import { idField, idOf, notFound, positiveDecimal, type TradingDeps, timestampSql } from './common.ts';

export const SYMBOL = /^[A-Z0-9]+\/[A-Z0-9]+(:[A-Z0-9]+)?$/;
export const symbolField = z
  .string({ error: 'must be a market symbol such as BTC/USDT' })
  .trim()
  .toUpperCase()
  .regex(SYMBOL, 'must be a market symbol such as BTC/USDT');

const readOnly = (field: string) =>
  z
    .never({ error: `${field} is set by the risk engine and the emergency stop; it cannot be written` })
    .optional();

const seconds = (max: number, what: string) =>
  z
    .number({ error: `must be a whole number of seconds (1 to ${max})` })
    .int(`must be a whole number of seconds (1 to ${max})`)
    .min(1, `must be at least 1 second`)
    .max(max, `must be at most ${max} seconds (${what})`);

const traderFields = {
  name: z
    .string({ error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters'),
  kind: z.enum(['ai', 'human', 'strategy'], { error: 'must be ai, human or strategy' }),
  account_id: idField('an exchange account').nullable(),
  sizing_rule: z.enum(['fixed_quote', 'percent_equity', 'risk_percent'], {
    error: 'must be fixed_quote, percent_equity or risk_percent',
  }),
  sizing_value: positiveDecimal,
  max_positions: z
    .number({ error: 'must be a whole number from 0 to 1000' })
    .int('must be a whole number from 0 to 1000')
    .min(0, 'must be a whole number from 0 to 1000')
    .max(1000, 'must be a whole number from 0 to 1000'),
  daily_loss_limit: positiveDecimal.nullable(),
  allowed_symbols: z
    .array(symbolField, { error: 'must be a list of market symbols such as ["BTC/USDT"]' })
    .max(500, 'must list at most 500 symbols')
    .transform((symbols) => [...new Set(symbols)]),
  auto_execute: z.boolean({ error: 'must be true or false' }),
  analysis_interval_seconds: seconds(7 * 86_400, 'a week'),
  signal_ttl_seconds: seconds(365 * 86_400, 'a year'),
  halted_until: readOnly('halted_until'),
  halt_reason: readOnly('halt_reason'),
};

const createTraderBody = z.strictObject({
  ...traderFields,
  kind: traderFields.kind.optional(),
  account_id: traderFields.account_id.optional(),
  sizing_rule: traderFields.sizing_rule.optional(),
  sizing_value: traderFields.sizing_value.optional(),
  max_positions: traderFields.max_positions.optional(),
  daily_loss_limit: traderFields.daily_loss_limit.optional(),
  allowed_symbols: traderFields.allowed_symbols.optional(),
  auto_execute: traderFields.auto_execute.optional(),
  analysis_interval_seconds: traderFields.analysis_interval_seconds.optional(),
  signal_ttl_seconds: traderFields.signal_ttl_seconds.optional(),
});

const updateTraderBody = createTraderBody
  .partial()
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    message: 'give at least one field to change',
  });

type TraderInput = z.output<typeof updateTraderBody>;

/** Writable column ← body field, with the SQL type each value is cast to. */
const WRITABLE: [keyof TraderInput, string, string][] = [
  ['name', 'name', 'text'],
  ['kind', 'kind', 'text'],
  ['account_id', 'account_id', 'bigint'],
  ['sizing_rule', 'sizing_rule', 'text'],
  ['sizing_value', 'sizing_value', 'numeric'],
  ['max_positions', 'max_positions', 'integer'],
  ['daily_loss_limit', 'daily_loss_limit', 'numeric'],
  ['allowed_symbols', 'allowed_symbols', 'text[]'],
  ['auto_execute', 'auto_execute', 'boolean'],
  ['analysis_interval_seconds', 'analysis_interval', 'interval'],
  ['signal_ttl_seconds', 'signal_ttl', 'interval'],
];

/**
 * The trader's record (public.trader_metrics, kept by the database as its signals end): counts
 * over every market, and money per quote currency (P&L in USDT and in BTC cannot be added), with
 * the ratios derived from them. Money as decimal strings; a ratio is null until it means
 * something (no closed signal yet; no loss yet for the profit factor).
 */
const METRICS_SQL = `(select pg_catalog.jsonb_build_object(
    'signals_closed', coalesce(sum(m.signals_closed), 0), 'wins', coalesce(sum(m.wins), 0),
    'losses', coalesce(sum(m.losses), 0),
    'breakeven', coalesce(sum(m.signals_closed - m.wins - m.losses), 0),
    'signals_rejected', coalesce(sum(m.signals_rejected), 0),
    'signals_expired', coalesce(sum(m.signals_expired), 0),
    'signals_cancelled', coalesce(sum(m.signals_cancelled), 0),
    'signals_failed', coalesce(sum(m.signals_failed), 0),
    'win_rate', case when sum(m.signals_closed) > 0
                     then round(sum(m.wins)::numeric / sum(m.signals_closed), 4)::text end,
    'last_closed_at', max(m.last_closed_at),
    'pnl', coalesce(pg_catalog.jsonb_object_agg(m.quote, pg_catalog.jsonb_build_object(
      'realized_pnl', m.realized_pnl::text, 'fees_paid', m.fees_paid::text,
      'average_pnl', case when m.signals_closed > 0 then round(m.realized_pnl / m.signals_closed, 8)::text end,
      'gross_profit', m.gross_profit::text, 'gross_loss', m.gross_loss::text,
      'profit_factor', case when m.gross_loss < 0 then round(m.gross_profit / -m.gross_loss, 4)::text end,
      'best_pnl', m.best_pnl::text, 'worst_pnl', m.worst_pnl::text)) filter (where m.quote is not null),
      '{}'::jsonb))
  from public.trader_metrics m where m.trader_id = traders.id)`;

/** Money of the record in one quote currency. */
export interface QuoteMetrics {
  realized_pnl: string;
  fees_paid: string;
  average_pnl: string | null;
  gross_profit: string;
  gross_loss: string;
  /** gross profit ÷ |gross loss|, 4 decimals; null before the first loss. */
  profit_factor: string | null;
  best_pnl: string | null;
  worst_pnl: string | null;
}

export interface TraderMetrics {
  signals_closed: number;
  wins: number;
  losses: number;
  breakeven: number;
  signals_rejected: number;
  signals_expired: number;
  signals_cancelled: number;
  signals_failed: number;
  /** wins ÷ closed signals, 4 decimals; null before the first close. */
  win_rate: string | null;
  last_closed_at: string | null;
  /** By quote currency (USDT, BTC, …). */
  pnl: Record<string, QuoteMetrics>;
}

export const TRADER_COLUMNS = `id, name, kind, account_id, sizing_rule, sizing_value, max_positions, daily_loss_limit,
  allowed_symbols, auto_execute,
  floor(extract(epoch from analysis_interval))::integer as analysis_interval_seconds,
  floor(extract(epoch from signal_ttl))::integer as signal_ttl_seconds,
  coalesce(halted_until > now(), false) as halted, ${timestampSql('halted_until')}, halt_reason,
  created_at, updated_at, ${METRICS_SQL} as metrics`;

export interface TraderRow {
  id: number;
  name: string;
  kind: string;
  account_id: number | null;
  sizing_rule: string;
  sizing_value: string;
  max_positions: number;
  daily_loss_limit: string | null;
  allowed_symbols: string[];
  auto_execute: boolean;
  analysis_interval_seconds: number;
  signal_ttl_seconds: number;
  halted: boolean;
  /** ISO time, 'infinity' (halted until released) or null. */
  halted_until: string | null;
  halt_reason: string | null;
  created_at: Date;
  updated_at: Date;
  metrics: TraderMetrics;
}

/** The caller's trader, read under RLS (another user's trader is simply not there). */
export async function findTrader(tx: SqlQueryable, id: number): Promise<TraderRow | undefined> {
  const rows = await tx.query<TraderRow>(`select ${TRADER_COLUMNS} from public.traders where id = $1`, [id]);
  return rows[0];
}

async function requireUsableAccount(tx: SqlQueryable, accountId: number | null | undefined): Promise<void> {
  if (accountId === null || accountId === undefined) return;
  const rows = await tx.query<{ status: string }>(
    'select status from public.exchange_accounts where id = $1',
    [accountId],
  );
  if (!rows[0]) throw notFound('exchange account', accountId);
  if (rows[0].status === 'deleted') {
    throw new HttpError(409, 'account_deleted', `exchange account ${accountId} is deleted`);
  }
}

function assignments(
  body: TraderInput,
  firstParam: number,
): { columns: string[]; casts: string[]; values: unknown[] } {
  const columns: string[] = [];
  const casts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column, type] of WRITABLE) {
    const value = body[field];
    if (value === undefined) continue;
    columns.push(column);
    const param = `$${firstParam + values.length}`;
    casts.push(type === 'interval' ? `make_interval(secs => ${param}::integer)` : `${param}::${type}`);
    values.push(value);
  }
  return { columns, casts, values };
}

/** A second trader with the same name is a 409 that says so, not the generic conflict. */
async function namedUniquely<T>(name: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: unknown })?.code === '23505') {
      throw new HttpError(409, 'name_taken', `a trader named ${JSON.stringify(name ?? '')} already exists`);
    }
    throw error;
  }
}

export function traderRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const traders = await asUser(deps.db, c.get('user').userId, (tx) =>
      tx.query<TraderRow>(`select ${TRADER_COLUMNS} from public.traders order by id`),
    );
    return c.json({ traders });
  });

  app.post('/', async (c) => {
    const body = await readJsonBody(c, createTraderBody);
    const trader = await namedUniquely(body.name, () =>
      asUser(deps.db, c.get('user').userId, async (tx) => {
        await requireUsableAccount(tx, body.account_id);
        const { columns, casts, values } = assignments(body, 1);
        const rows = await tx.query<{ id: number }>(
          `insert into public.traders (${columns.join(', ')}) values (${casts.join(', ')}) returning id`,
          values,
        );
        return (await findTrader(tx, rows[0]!.id))!;
      }),
    );
    return c.json({ trader }, 201);
  });

  app.get('/:id', async (c) => {
    const id = idOf(c);
    const trader = await asUser(deps.db, c.get('user').userId, (tx) => findTrader(tx, id));
    if (!trader) throw notFound('trader', id);
    return c.json({ trader });
  });

  app.patch('/:id', async (c) => {
    const id = idOf(c);
    const body = await readJsonBody(c, updateTraderBody);
    const trader = await namedUniquely(body.name, () =>
      asUser(deps.db, c.get('user').userId, async (tx) => {
        if (!(await findTrader(tx, id))) throw notFound('trader', id);
        await requireUsableAccount(tx, body.account_id);
        const { columns, casts, values } = assignments(body, 2);
        const set = columns.map((column, i) => `${column} = ${casts[i]}`).join(', ');
        await tx.query(`update public.traders set ${set} where id = $1`, [id, ...values]);
        return (await findTrader(tx, id))!;
      }),
    );
    return c.json({ trader });
  });

  return app;
}
