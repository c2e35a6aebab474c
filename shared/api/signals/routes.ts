/**
 * `/api/signals`: HTTP in, one operation, JSON out.
 *
 *   POST /                { trader_id, symbol, side, entry_price?, stop_loss?, take_profit?,
 *                           timeframe?, note?, expires_at? }          → 201 { signal }
 *   GET  /                ?status&trader_id&symbol&limit&cursor      → 200 { signals, next_cursor }
 *   GET  /:id                → 200 { signal, events, snapshots, orders: { entry, stop_loss, take_profit, exit }, position }
 *   POST /:id/cancel      { reason? }                                → 200 { signal }
 *   POST /:id/confirm     (large trade waiting in ready)             → 200 { signal, execute_job_id }
 *
 * A new signal is picked up by the workflow trigger (an `analyse` job), in the same transaction.
 */
import { Hono } from 'hono';
import type { UserVariables } from '../require-user.ts';
import { idOf, page, readOptionalJsonBody, type TradingDeps } from '../trading/common.ts';
import { parseWith, readJsonBody } from '../validation.ts';
import { cancelUserSignal, confirmSignal, createSignal, getSignal, listUserSignals } from './operations.ts';
import { cancelSignalBody, createSignalBody, listSignalsQuery } from './schemas.ts';

export function signalRoutes(deps: TradingDeps) {
  const app = new Hono<{ Variables: UserVariables }>();

  app.post('/', async (c) => {
    const body = await readJsonBody(c, createSignalBody);
    return c.json({ signal: await createSignal(deps, c.get('user').userId, body) }, 201);
  });

  app.get('/', async (c) => {
    const query = parseWith(listSignalsQuery, c.req.query(), 'query');
    const { rows, next_cursor } = page(await listUserSignals(deps, c.get('user').userId, query), query.limit);
    return c.json({ signals: rows, next_cursor });
  });

  app.get('/:id', async (c) => {
    return c.json(await getSignal(deps, c.get('user').userId, idOf(c)));
  });

  app.post('/:id/cancel', async (c) => {
    const id = idOf(c);
    const body = await readOptionalJsonBody(c, cancelSignalBody);
    return c.json({ signal: await cancelUserSignal(deps, c.get('user').userId, id, body.reason) });
  });

  app.post('/:id/confirm', async (c) => {
    return c.json(await confirmSignal(deps, c.get('user').userId, idOf(c)));
  });

  return app;
}
