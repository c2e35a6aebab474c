/**
 * The user's trading configuration and risk limits.
 *
 *   GET /api/trading-config                      → 200 { trading_config }
 *   PUT /api/trading-config      { fields… }     → 200 { trading_config }
 *   GET /api/risk-parameters     ?trader_id=     → 200 { risk_parameters }
 *   PUT /api/risk-parameters     ?trader_id=     → 200 { risk_parameters }
 *
 * PUT sets the fields it is given and keeps the others (null clears a limit). Without a row
 * yet, GET answers the defaults the database would apply. Risk parameters without
 * `trader_id` are the user's; with it, that trader's overrides.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { asUser, type SqlQueryable } from '../../db/sql.ts';
import type { UserVariables } from '../require-user.ts';
import { parseWith, readJsonBody } from '../validation.ts';
import { idField, notFound, positiveDecimal, type TradingDeps } from './common.ts';

const atLeastOne = (body: Record<string, unknown>) =>
  Object.values(body).some((value) => value !== undefined);

const tradingConfigBody = z
  .strictObject({
    default_account_id: idField('an exchange account').nullable().optional(),
    quote_currency: z
      .string({ error: 'must be a currency code such as USDT' })
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{2,10}$/, 'must be a currency code such as USDT')
      .optional(),
    telegram_chat_id: z
      .string({ error: 'must be a Telegram chat id (digits) or @channel' })
      .trim()
      .regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, 'must be a Telegram chat id (digits) or @channel')
      .nullable()
      .optional(),
    notify_on: z
      .array(
        z
          .string({ error: 'must be an alert kind such as order_failed' })
          .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be an alert kind such as order_failed'),
        { error: 'must be a list of alert kinds' },
      )
      .max(50, 'must list at most 50 alert kinds')
      .transform((kinds) => [...new Set(kinds)])
      .optional(),
  })
  .refine(atLeastOne, { message: 'give at least one field to change' });

const percent = positiveDecimal.refine(
  (text) => Number(text) <= 100,
  'must be a percentage above 0 and at most 100',
);

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be a whole number from ${min} to ${max}`)
    .max(max, `must be a whole number from ${min} to ${max}`);

const riskParametersBody = z
  .strictObject({
    max_open_positions: wholeNumber(0, 1000).nullable().optional(),
    max_position_notional: positiveDecimal.nullable().optional(),
    daily_loss_limit: positiveDecimal.nullable().optional(),
    per_position_max_loss_pct: percent.nullable().optional(),
    max_slippage_bps: wholeNumber(0, 10_000).optional(),
    large_trade_threshold: positiveDecimal.nullable().optional(),
    max_dust_bps: wholeNumber(0, 10_000).optional(),
  })
  .refine(atLeastOne, { message: 'give at least one field to change' });

const riskQuery = z.strictObject({ trader_id: idField('a trader').optional() });

const CONFIG_COLUMNS =
  'default_account_id, quote_currency, telegram_chat_id, notify_on, created_at, updated_at';
const RISK_COLUMNS = `trader_id, max_open_positions, max_position_notional, daily_loss_limit,
  per_position_max_loss_pct, max_slippage_bps, large_trade_threshold, max_dust_bps, created_at, updated_at`;

const CASTS: Record<string, string> = {
  default_account_id: 'bigint',
  quote_currency: 'text',
  telegram_chat_id: 'text',
  notify_on: 'text[]',
  max_open_positions: 'integer',
  max_position_notional: 'numeric',
  daily_loss_limit: 'numeric',
  per_position_max_loss_pct: 'numeric',
  max_slippage_bps: 'integer',
  large_trade_threshold: 'numeric',
  max_dust_bps: 'integer',
};

/**
 * `insert … on conflict (key) do update` for the given fields only, as the user (RLS and the
 * column grants apply). `fixed` are the key columns and their values.
 */
async function upsert(
  tx: SqlQueryable,
  table: string,
  conflict: string,
  fixed: Record<string, [unknown, string]>,
  fields: Record<string, unknown>,
): Promise<void> {
  const columns: string[] = [];
  const casts: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, value: unknown, type: string) => {
    columns.push(column);
    values.push(value);
    casts.push(`$${values.length}::${type}`);
  };
  for (const [column, [value, type]] of Object.entries(fixed)) add(column, value, type);
  const changed = Object.entries(fields).filter(([, value]) => value !== undefined);
  for (const [column, value] of changed) add(column, value, CASTS[column]!);
  const updates = changed.map(([column]) => `${column} = excluded.${column}`).join(', ');
  await tx.query(
    `insert into ${table} (${columns.join(', ')}) values (${casts.join(', ')})
     on conflict (${conflict}) do update set ${updates}`,
    values,
  );
}

async function readConfig(tx: SqlQueryable) {
  const rows = await tx.query(`select ${CONFIG_COLUMNS} from public.trading_config`);
  return (
    rows[0] ?? {
      default_account_id: null,
      quote_currency: 'USDT',
      telegram_chat_id: null,
      notify_on: ['order_failed', 'position_closed', 'risk'],
      created_at: null,
      updated_at: null,
    }
  );
}

async function readRisk(tx: SqlQueryable, traderId: number | undefined) {
  const rows = await tx.query(
    `select ${RISK_COLUMNS} from public.risk_parameters where trader_id is not distinct from $1::bigint`,
    [traderId ?? null],
  );
  return (
    rows[0] ?? {
      trader_id: traderId ?? null,
      max_open_positions: null,
      max_position_notional: null,
      daily_loss_limit: null,
      per_position_max_loss_pct: null,
      max_slippage_bps: 100,
      large_trade_threshold: null,
      max_dust_bps: 100,
      created_at: null,
      updated_at: null,
    }
  );
}

async function requireOwn(tx: SqlQueryable, table: string, what: string, id: number | null | undefined) {
  if (id === null || id === undefined) return;
  const rows = await tx.query(`select 1 from ${table} where id = $1`, [id]);
  if (!rows[0]) throw notFound(what, id);
}

export function tradingConfigRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const config = await asUser(deps.db, c.get('user').userId, readConfig);
    return c.json({ trading_config: config });
  });

  app.put('/', async (c) => {
    const body = await readJsonBody(c, tradingConfigBody);
    const config = await asUser(deps.db, c.get('user').userId, async (tx) => {
      await requireOwn(tx, 'public.exchange_accounts', 'exchange account', body.default_account_id);
      await upsert(tx, 'public.trading_config', 'owner', {}, body);
      return readConfig(tx);
    });
    return c.json({ trading_config: config });
  });

  return app;
}

export function riskParameterRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const { trader_id } = parseWith(riskQuery, c.req.query(), 'query');
    const risk = await asUser(deps.db, c.get('user').userId, async (tx) => {
      await requireOwn(tx, 'public.traders', 'trader', trader_id);
      return readRisk(tx, trader_id);
    });
    return c.json({ risk_parameters: risk });
  });

  app.put('/', async (c) => {
    const { trader_id } = parseWith(riskQuery, c.req.query(), 'query');
    const body = await readJsonBody(c, riskParametersBody);
    const risk = await asUser(deps.db, c.get('user').userId, async (tx) => {
      await requireOwn(tx, 'public.traders', 'trader', trader_id);
      await upsert(
        tx,
        'public.risk_parameters',
        'owner, trader_id',
        { trader_id: [trader_id ?? null, 'bigint'] },
        body,
      );
      return readRisk(tx, trader_id);
    });
    return c.json({ risk_parameters: risk });
  });

  return app;
}
