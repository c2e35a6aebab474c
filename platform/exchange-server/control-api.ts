/**
 * `/__control/*`: the test-and-operator side door of the local exchange. Not part of Binance's
 * API; answers JSON, errors as `{ error: { code, message } }`.
 *
 * - `GET    /__control/orders[?apiKey=…]`  every order the server accepted, per account
 * - `POST   /__control/faults`            add a fault rule (or an array of rules) → `{ ids }`
 * - `GET    /__control/faults`            the active rules and how often each applied
 * - `DELETE /__control/faults`            remove every rule
 * - `POST   /__control/step`              `{ count?, symbol? }` advance the replay → `{ markets }`
 * - `POST   /__control/accounts`          `{ apiKey, secret?, balances?, revoked?, restrictions? }`
 *                                         register a key (`restrictions`: flags of
 *                                         `/sapi/v1/account/apiRestrictions`, e.g. `{ enableWithdrawals: true }`)
 * - `GET    /__control/balances?apiKey=…` an account's balances
 */
import { num, orderJson, tradeJson } from './binance-json.ts';
import type { FaultBook, FaultRule } from './faults.ts';
import { type ApiRestrictions, DEFAULT_API_RESTRICTIONS, type Venue } from './venue.ts';

export interface ControlAnswer {
  status: number;
  body: unknown;
}

export class ControlError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Every order the venue accepted, grouped by API key, in Binance's order shape plus its fills. */
export function ordersByAccount(venue: Venue, apiKey?: string): Record<string, Record<string, unknown>[]> {
  const result: Record<string, Record<string, unknown>[]> = {};
  for (const order of venue.engine.allOrders()) {
    if (apiKey !== undefined && order.account !== apiKey) continue;
    const list = result[order.account] ?? [];
    list.push({ ...orderJson(order), fills: order.fills.map(tradeJson) });
    result[order.account] = list;
  }
  return result;
}

export function handleControl(
  venue: Venue,
  faults: FaultBook,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ControlAnswer {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /__control/orders':
      return ok({ accounts: ordersByAccount(venue, query.get('apiKey') ?? undefined) });
    case 'POST /__control/faults': {
      const rules = (Array.isArray(body) ? body : [body]) as FaultRule[];
      try {
        return ok({ ids: rules.map((rule) => faults.add(rule)) });
      } catch (error) {
        throw new ControlError(400, (error as Error).message);
      }
    }
    case 'GET /__control/faults':
      return ok({ rules: faults.list() });
    case 'DELETE /__control/faults': {
      const cleared = faults.list().length;
      faults.clear();
      return ok({ cleared });
    }
    case 'POST /__control/step': {
      const { count, symbol } = (body ?? {}) as { count?: number; symbol?: string };
      if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
        throw new ControlError(400, 'count must be a positive integer');
      }
      return ok({ markets: venue.step(count ?? 1, symbol) });
    }
    case 'POST /__control/accounts': {
      const { apiKey, secret, balances, revoked, restrictions } = (body ?? {}) as {
        apiKey?: string;
        secret?: string;
        balances?: Record<string, string>;
        revoked?: boolean;
        restrictions?: Partial<ApiRestrictions>;
      };
      if (typeof apiKey !== 'string' || apiKey === '') throw new ControlError(400, 'apiKey is required');
      if (restrictions !== undefined) assertRestrictions(restrictions);
      if (revoked) venue.keys.revoke(apiKey);
      else venue.registerAccount(apiKey, { secret, balances, restrictions });
      return ok({ apiKey });
    }
    case 'GET /__control/balances': {
      const apiKey = query.get('apiKey');
      if (!apiKey) throw new ControlError(400, 'apiKey is required');
      return ok({
        balances: venue.engine
          .balanceLines(apiKey)
          .map((b) => ({ asset: b.asset, free: num(b.free), locked: num(b.locked) })),
      });
    }
    default:
      throw new ControlError(404, `no control endpoint ${route}`);
  }
}

function assertRestrictions(restrictions: unknown): asserts restrictions is Partial<ApiRestrictions> {
  if (typeof restrictions !== 'object' || restrictions === null || Array.isArray(restrictions)) {
    throw new ControlError(400, 'restrictions must be an object of boolean flags');
  }
  for (const [name, value] of Object.entries(restrictions)) {
    if (!(name in DEFAULT_API_RESTRICTIONS)) throw new ControlError(400, `unknown restriction ${name}`);
    if (typeof value !== 'boolean') throw new ControlError(400, `restriction ${name} must be true or false`);
  }
}

function ok(body: unknown): ControlAnswer {
  return { status: 200, body };
}
