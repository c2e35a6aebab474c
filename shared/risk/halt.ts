/**
 * Halting a trader for the rest of the UTC day once its daily realised loss limit is hit.
 * New entries are refused while `halted_until` is in the future (evaluate-entry.ts); positions
 * already open keep their protective orders. The halt ends by itself at 00:00 UTC.
 */
import type { SqlClient, SqlQueryable } from '../db/sql.ts';
import { dec } from '../money/decimal.ts';
import { dailyRealizedPnl, dailyRealizedPnlForUser } from './daily-pnl.ts';
import { lossReached } from './evaluate-entry.ts';
import { show, showTime } from './format.ts';
import { nextUtcMidnight } from './utc-day.ts';

export interface HaltResult {
  /** False when the trader was already halted at least that long (nothing written). */
  halted: boolean;
  until: number;
}

/**
 * Sets halted_until to the next 00:00 UTC and halt_reason, and writes one `trader_halted`
 * alert. Idempotent: a trader already halted until then (or later) is left alone and no second
 * alert is written, so the risk job may run it on every sweep.
 */
export async function haltTraderUntilNextUtcDay(
  tx: SqlQueryable,
  traderId: number,
  reason: string,
  now: number,
): Promise<HaltResult> {
  const until = nextUtcMidnight(now);
  const rows = await tx.query<{ owner: string; name: string }>(
    `update public.traders
        set halted_until = pg_catalog.to_timestamp($2::double precision / 1000), halt_reason = $3
      where id = $1
        and (halted_until is null or halted_until < pg_catalog.to_timestamp($2::double precision / 1000))
      returning owner, name`,
    [traderId, until, reason],
  );
  const trader = rows[0];
  if (!trader) return { halted: false, until };
  await tx.query(
    `insert into public.alerts (owner, trader_id, severity, kind, message, context)
     values ($1, $2, 'critical', 'trader_halted', $3, $4)`,
    [
      trader.owner,
      traderId,
      `Trader ${trader.name} is halted until ${showTime(until)}: ${reason}`,
      { halted_until: showTime(until), reason },
    ],
  );
  return { halted: true, until };
}

export interface DailyLossCheck {
  /** Set when a limit is hit: the sentence the halt carries. */
  reason: string | null;
  halt: HaltResult | null;
  traderPnl: string;
  userPnl: string;
}

/**
 * The risk job's daily-loss step for one trader: compares today's realised P&L with the
 * trader's limit (stricter of traders.daily_loss_limit and its risk_parameters row) and with
 * the user's (the user's risk_parameters row, against the user's total), and halts the trader
 * when either is hit.
 */
export async function haltTraderIfDailyLossHit(
  db: SqlClient,
  traderId: number,
  now: number,
): Promise<DailyLossCheck> {
  return db.transaction(async (tx) => {
    const rows = await tx.query<{ owner: string; trader_limit: string | null; user_limit: string | null }>(
      `select t.owner,
              (select min(l) from unnest(array[t.daily_loss_limit, rt.daily_loss_limit]) l)::text as trader_limit,
              ru.daily_loss_limit::text as user_limit
         from public.traders t
         left join public.risk_parameters rt on rt.owner = t.owner and rt.trader_id = t.id
         left join public.risk_parameters ru on ru.owner = t.owner and ru.trader_id is null
        where t.id = $1`,
      [traderId],
    );
    const limits = rows[0];
    if (!limits) throw new Error(`trader ${traderId} does not exist`);
    const traderPnl = await dailyRealizedPnl(tx, traderId, now);
    const userPnl = await dailyRealizedPnlForUser(tx, limits.owner, now);
    let reason: string | null = null;
    if (limits.trader_limit !== null && lossReached(traderPnl, limits.trader_limit)) {
      reason = `daily realised loss ${show(dec(traderPnl).neg())} reached the trader's limit of ${show(limits.trader_limit)}`;
    } else if (limits.user_limit !== null && lossReached(userPnl, limits.user_limit)) {
      reason = `the user's daily realised loss ${show(dec(userPnl).neg())} reached the user's limit of ${show(limits.user_limit)}`;
    }
    const halt = reason === null ? null : await haltTraderUntilNextUtcDay(tx, traderId, reason, now);
    return { reason, halt, traderPnl, userPnl };
  });
}
