/**
 * Reads the database side of an entry's facts (EntryState) in one round trip:
 * `internal.entry_state` (migration 20261121009100_entry_state.sql), which states the rules of
 * the read. With `lock`, inside the placement transaction, it takes row locks first (trader and
 * account `for no key update`, the signal `for share`, in that order) so that concurrent
 * entries serialise, and the second sees the first's pending entry order.
 *
 * Exposure (what counts against max positions) is any other signal of the trader that holds or
 * may soon hold a position: in_position; or with an entry order that is live (pending, open,
 * partially_filled, unknown: it may fill) or filled while the signal is still `ready` (SYNC has
 * not moved it yet); or linked to an open position. The day's realised P&L is that of the
 * signals closed in the UTC day of `now` (./daily-pnl.ts states why).
 */
import type { SqlQueryable } from '../db/sql.ts';
import { toDecimalString } from '../money/decimal.ts';
import type { EntryState, SignalSide, SizingRule } from './facts.ts';
import { nextUtcMidnight, startOfUtcDay } from './utc-day.ts';

interface StateRow {
  trader: {
    id: number;
    name: string;
    account_id: number | null;
    sizing_rule: SizingRule;
    sizing_value: string;
    max_positions: number;
    daily_loss_limit: string | null;
    allowed_symbols: string[];
    halt_reason: string | null;
    /** Epoch milliseconds; "Infinity" for an open-ended halt (halted_until = 'infinity', the emergency stop). */
    halted_until_ms: number | 'Infinity' | null;
  };
  account: { id: number; status: string; max_order_notional: string | null } | null;
  signal: {
    id: number;
    owner: string;
    status: string;
    symbol: string;
    side: SignalSide;
    entry_price: string | null;
    stop_loss: string | null;
    take_profit: string | null;
    requires_confirmation: boolean;
    confirmed_at_ms: number | null;
  };
  risk: RiskRow[];
  kill_switches: { trader_id: number | null; reason: string | null }[];
  open_positions: number;
  symbol_exposure: string | null;
  trader_pnl_today: string;
  user_pnl_today: string;
}

interface RiskRow {
  trader_id: number | null;
  max_open_positions: number | null;
  max_position_notional: string | null;
  daily_loss_limit: string | null;
  max_slippage_bps: number;
  large_trade_threshold: string | null;
  max_dust_bps: number;
}

export class EntryFactsMissing extends Error {
  override name = 'EntryFactsMissing';
}

export async function readEntryState(
  q: SqlQueryable,
  signalId: number,
  now: number,
  options: { lock?: boolean } = {},
): Promise<EntryState> {
  const [row] = await q.query<{ state: StateRow | null }>(
    `select internal.entry_state($1, pg_catalog.to_timestamp($2::double precision / 1000),
                                 pg_catalog.to_timestamp($3::double precision / 1000), $4) as state`,
    [signalId, startOfUtcDay(now), nextUtcMidnight(now), options.lock ?? false],
  );
  const state = row?.state;
  if (!state) throw new EntryFactsMissing(`signal ${signalId} does not exist`);
  const { trader, account, signal } = state;
  if (trader.account_id === null || account === null) {
    throw new EntryFactsMissing(`trader ${trader.id} has no exchange account to trade on`);
  }

  const own = state.risk.find((r) => r.trader_id !== null);
  const user = state.risk.find((r) => r.trader_id === null);
  const pick = <K extends keyof RiskRow>(key: K): RiskRow[K] | null => own?.[key] ?? user?.[key] ?? null;
  const userSwitch = state.kill_switches.find((s) => s.trader_id === null);
  const traderSwitch = state.kill_switches.find((s) => s.trader_id !== null);

  return {
    now,
    owner: signal.owner,
    signal: {
      id: signal.id,
      status: signal.status,
      symbol: signal.symbol,
      side: signal.side,
      entryPrice: signal.entry_price,
      stopLoss: signal.stop_loss,
      takeProfit: signal.take_profit,
      requiresConfirmation: signal.requires_confirmation,
      confirmedAt: signal.confirmed_at_ms,
    },
    trader: {
      id: trader.id,
      name: trader.name,
      sizingRule: trader.sizing_rule,
      sizingValue: trader.sizing_value,
      maxPositions: trader.max_positions,
      dailyLossLimit: trader.daily_loss_limit,
      allowedSymbols: trader.allowed_symbols,
      haltedUntil: trader.halted_until_ms === 'Infinity' ? Number.POSITIVE_INFINITY : trader.halted_until_ms,
      haltReason: trader.halt_reason,
    },
    account: { id: account.id, status: account.status, maxOrderNotional: account.max_order_notional },
    limits: {
      maxOpenPositions: pick('max_open_positions'),
      maxPositionNotional: pick('max_position_notional'),
      traderDailyLossLimit: own?.daily_loss_limit ?? null,
      userDailyLossLimit: user?.daily_loss_limit ?? null,
      maxSlippageBps: pick('max_slippage_bps') ?? 100,
      largeTradeThreshold: pick('large_trade_threshold'),
      maxDustBps: pick('max_dust_bps') ?? 100,
    },
    killSwitches: {
      user: userSwitch ? { reason: userSwitch.reason } : null,
      trader: traderSwitch ? { reason: traderSwitch.reason } : null,
    },
    exposure: {
      openPositions: state.open_positions,
      symbolExposure: state.symbol_exposure,
      traderRealizedPnlToday: toDecimalString(state.trader_pnl_today),
      userRealizedPnlToday: toDecimalString(state.user_pnl_today),
    },
  };
}
