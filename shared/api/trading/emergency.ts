/**
 * The panic button and its release, both thin wrappers over the SQL functions of
 * 20261121008000_emergency_stop.sql (called as the user, so auth.uid() is the caller):
 *
 *   POST /api/emergency-stop       { reason? }  → 200 { emergency_stop: counts }
 *   GET  /api/kill-switch                        → 200 { kill_switch }
 *   POST /api/kill-switch/release                → 200 { kill_switch_release: counts }
 *
 * Emergency stop is idempotent: pressing it again answers zeros for what was already stopped.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { asUser } from '../../db/sql.ts';
import type { UserVariables } from '../require-user.ts';
import { readOptionalJsonBody, sqlFunctionError, type TradingDeps, timestampSql } from './common.ts';

const emergencyStopBody = z.strictObject({
  reason: z
    .string({ error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(500, 'must be at most 500 characters')
    .optional(),
});

async function callAsUser<T>(deps: TradingDeps, userId: string, sql: string, params: unknown[]): Promise<T> {
  try {
    return await asUser(deps.db, userId, async (tx) => {
      const rows = await tx.query<{ result: T }>(sql, params);
      return rows[0]!.result;
    });
  } catch (error) {
    throw sqlFunctionError(error) ?? error;
  }
}

export function emergencyStopRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();
  app.post('/', async (c) => {
    const body = await readOptionalJsonBody(c, emergencyStopBody);
    const result = await callAsUser(
      deps,
      c.get('user').userId,
      `select public.emergency_stop(coalesce($1::text, 'emergency stop')) as result`,
      [body.reason ?? null],
    );
    return c.json({ emergency_stop: result });
  });
  return app;
}

export function killSwitchRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.get('/', async (c) => {
    const killSwitch = await asUser(deps.db, c.get('user').userId, async (tx) => {
      const rows = await tx.query(
        `select engaged, reason, engaged_by, engaged_at, released_at, updated_at
           from public.kill_switches where trader_id is null`,
      );
      const haltedTraders = await tx.query(
        `select id, name, ${timestampSql('halted_until')}, halt_reason
           from public.traders where halted_until > now() order by id`,
      );
      const state = rows[0] ?? { engaged: false, reason: null, engaged_by: null, engaged_at: null };
      return { ...state, halted_traders: haltedTraders };
    });
    return c.json({ kill_switch: killSwitch });
  });

  app.post('/release', async (c) => {
    const result = await callAsUser(
      deps,
      c.get('user').userId,
      'select public.release_kill_switch() as result',
      [],
    );
    return c.json({ kill_switch_release: result });
  });

  return app;
}
