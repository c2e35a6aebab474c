/**
 * What each signals request does, always as the calling user (`asUser`, RLS). Another user's
 * signal or trader is "not found", exactly like a missing one.
 */
import { asUser } from '../../db/sql.ts';
import { HttpError } from '../../http/errors.ts';
import { CANCELLABLE_STATUSES } from '../../signals/lifecycle.ts';
import { fieldError, notFound, sqlFunctionError, type TradingDeps } from '../trading/common.ts';
import { findTrader } from '../trading/traders.ts';
import {
  cancelSignal,
  findSignal,
  insertSignal,
  isFuture,
  killSwitchEngaged,
  listSignals,
  lockSignalStatus,
  type SignalRow,
  signalHistory,
} from './repository.ts';
import type { CreateSignalBody, ListSignalsQuery } from './schemas.ts';

/** Statuses from which a user may cancel: anything before a position exists. */
const CANCELLABLE = new Set<string>(CANCELLABLE_STATUSES);

export async function createSignal(
  deps: TradingDeps,
  userId: string,
  body: CreateSignalBody,
): Promise<SignalRow> {
  return asUser(deps.db, userId, async (tx) => {
    const trader = await findTrader(tx, body.trader_id);
    if (!trader) throw notFound('trader', body.trader_id);
    if (trader.allowed_symbols.length > 0 && !trader.allowed_symbols.includes(body.symbol)) {
      throw new HttpError(
        422,
        'symbol_not_allowed',
        `trader ${trader.id} trades only ${trader.allowed_symbols.join(', ')}; ${body.symbol} is not among them`,
      );
    }
    // The risk engine would refuse the entry anyway; refusing now tells the user why at once.
    if (await killSwitchEngaged(tx, trader.id)) {
      throw new HttpError(
        409,
        'kill_switch_engaged',
        'the kill switch is engaged: release it (POST /api/kill-switch/release) before adding signals',
      );
    }
    // The database clock, the one the lifecycle expires signals by.
    if (body.expires_at !== undefined && !(await isFuture(tx, body.expires_at))) {
      throw fieldError('expires_at', 'must be in the future');
    }
    const id = await insertSignal(tx, body);
    return (await findSignal(tx, id))!;
  });
}

export async function listUserSignals(
  deps: TradingDeps,
  userId: string,
  query: ListSignalsQuery,
): Promise<SignalRow[]> {
  return asUser(deps.db, userId, (tx) => listSignals(tx, query));
}

export async function getSignal(deps: TradingDeps, userId: string, id: number) {
  return asUser(deps.db, userId, async (tx) => {
    const signal = await findSignal(tx, id);
    if (!signal) throw notFound('signal', id);
    return { signal, ...(await signalHistory(tx, id)) };
  });
}

/**
 * Cancels a signal that has no position yet. Cancelling a cancelled signal answers it as it is
 * (a retried request must not fail); a signal in position is closed by the emergency stop or
 * its protective orders, not by cancelling.
 */
export async function cancelUserSignal(
  deps: TradingDeps,
  userId: string,
  id: number,
  reason: string | undefined,
): Promise<SignalRow> {
  return asUser(deps.db, userId, async (tx) => {
    const status = await lockSignalStatus(tx, id);
    if (status === undefined) throw notFound('signal', id);
    if (status !== 'cancelled') {
      if (!CANCELLABLE.has(status)) {
        const hint = status === 'in_position' ? ' (the emergency stop closes open positions)' : '';
        throw new HttpError(
          409,
          'not_cancellable',
          `signal ${id} is ${status}: it can no longer be cancelled${hint}`,
        );
      }
      await cancelSignal(tx, id, reason ?? 'cancelled by the user');
    }
    return (await findSignal(tx, id))!;
  });
}

/** The user's go-ahead for a large trade (public.confirm_large_trade). */
export async function confirmSignal(deps: TradingDeps, userId: string, id: number) {
  try {
    return await asUser(deps.db, userId, async (tx) => {
      const [row] = await tx.query<{ result: { job_id: number } }>(
        'select public.confirm_large_trade($1::bigint) as result',
        [id],
      );
      return { signal: (await findSignal(tx, id))!, execute_job_id: row!.result.job_id };
    });
  } catch (error) {
    throw sqlFunctionError(error) ?? error;
  }
}
