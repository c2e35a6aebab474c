/**
 * Reads the database side of an entry's facts (EntryState). With `lock`, inside the placement
 * transaction, it takes row locks first so that concurrent entries serialise:
 *
 * - the trader row, `for no key update`: two entries of one trader run one after the other,
 *   and the second sees the first's pending entry order (READ COMMITTED gives every later
 *   statement a fresh snapshot). `no key` so that rows referencing the trader (new signals,
 *   alerts) can still be inserted meanwhile; two `for no key update` still exclude each other;
 * - the account row, `for no key update`: entries of different traders on one account+symbol
 *   serialise too (no duplicate exposure), without blocking order inserts' foreign-key checks;
 * - the signal row, `for share`: it cannot be cancelled between this check and the commit.
 * Lock order is trader → account → signal everywhere here (emergency stop halts traders before
 * cancelling signals), which avoids deadlocks.
 *
 * Exposure (what counts against max positions) is any other signal of the trader that holds or
 * may soon hold a position: in_position; or with an entry order that is live (pending, open,
 * partially_filled, unknown: it may fill) or filled while the signal is still `ready` (SYNC has
 * not moved it yet); or linked to an open position.
 */
import type { SqlQueryable } from '../db/sql.ts';
import { dailyRealizedPnl, dailyRealizedPnlForUser } from './daily-pnl.ts';
import type { EntryState, SignalSide, SizingRule } from './facts.ts';

const LIVE_ORDER = `('pending', 'open', 'partially_filled', 'unknown')`;

interface SignalRow {
  id: number;
  owner: string;
  trader_id: number;
  status: string;
  symbol: string;
  side: SignalSide;
  entry_price: string | null;
  stop_loss: string | null;
  take_profit: string | null;
  requires_confirmation: boolean;
  confirmed_at: Date | null;
}

interface TraderRow {
  id: number;
  name: string;
  account_id: number | null;
  sizing_rule: SizingRule;
  sizing_value: string;
  max_positions: number;
  daily_loss_limit: string | null;
  allowed_symbols: string[];
  /** Epoch milliseconds; Infinity for an open-ended halt (halted_until = 'infinity', the emergency stop). */
  halted_until_ms: number | null;
  halt_reason: string | null;
}

interface RiskRow {
  trader_id: number | null;
  max_open_positions: number | null;
  max_position_notional: string | null;
  daily_loss_limit: string | null;
  max_slippage_bps: number;
  large_trade_threshold: string | null;
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
  const lock = options.lock ?? false;
  const head = await q.query<{ trader_id: number }>('select trader_id from public.signals where id = $1', [
    signalId,
  ]);
  if (!head[0]) throw new EntryFactsMissing(`signal ${signalId} does not exist`);

  const trader = (
    await q.query<TraderRow>(
      `select id, name, account_id, sizing_rule, sizing_value::text as sizing_value, max_positions,
              daily_loss_limit::text as daily_loss_limit, allowed_symbols, halt_reason,
              (extract(epoch from halted_until) * 1000)::float8 as halted_until_ms
         from public.traders where id = $1 ${lock ? 'for no key update' : ''}`,
      [head[0].trader_id],
    )
  )[0]!;
  if (trader.account_id === null) {
    throw new EntryFactsMissing(`trader ${trader.id} has no exchange account to trade on`);
  }
  const account = (
    await q.query<{ id: number; status: string; max_order_notional: string | null }>(
      `select id, status, max_order_notional::text as max_order_notional
         from public.exchange_accounts where id = $1 ${lock ? 'for no key update' : ''}`,
      [trader.account_id],
    )
  )[0]!;
  const signal = (
    await q.query<SignalRow>(
      `select id, owner, trader_id, status, symbol, side, entry_price::text as entry_price,
              stop_loss::text as stop_loss, take_profit::text as take_profit, requires_confirmation, confirmed_at
         from public.signals where id = $1 ${lock ? 'for share' : ''}`,
      [signalId],
    )
  )[0]!;

  const risk = await q.query<RiskRow>(
    `select trader_id, max_open_positions, max_position_notional::text as max_position_notional,
            daily_loss_limit::text as daily_loss_limit, max_slippage_bps,
            large_trade_threshold::text as large_trade_threshold
       from public.risk_parameters
      where owner = $1 and (trader_id is null or trader_id = $2)`,
    [signal.owner, trader.id],
  );
  const own = risk.find((r) => r.trader_id !== null);
  const user = risk.find((r) => r.trader_id === null);
  const pick = <K extends keyof RiskRow>(key: K): RiskRow[K] | null => own?.[key] ?? user?.[key] ?? null;

  const switches = await q.query<{ trader_id: number | null; reason: string | null }>(
    `select trader_id, reason from public.kill_switches
      where owner = $1 and engaged and (trader_id is null or trader_id = $2)`,
    [signal.owner, trader.id],
  );
  const userSwitch = switches.find((s) => s.trader_id === null);
  const traderSwitch = switches.find((s) => s.trader_id !== null);

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
      confirmedAt: signal.confirmed_at ? signal.confirmed_at.getTime() : null,
    },
    trader: {
      id: trader.id,
      name: trader.name,
      sizingRule: trader.sizing_rule,
      sizingValue: trader.sizing_value,
      maxPositions: trader.max_positions,
      dailyLossLimit: trader.daily_loss_limit,
      allowedSymbols: trader.allowed_symbols,
      haltedUntil: trader.halted_until_ms,
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
    },
    killSwitches: {
      user: userSwitch ? { reason: userSwitch.reason } : null,
      trader: traderSwitch ? { reason: traderSwitch.reason } : null,
    },
    exposure: {
      openPositions: await traderExposure(q, trader.id, signalId),
      symbolExposure: await symbolExposure(q, account.id, signal.symbol, signalId),
      traderRealizedPnlToday: await dailyRealizedPnl(q, trader.id, now),
      userRealizedPnlToday: await dailyRealizedPnlForUser(q, signal.owner, now),
    },
  };
}

/** The trader's other signals that hold or may soon hold a position (see the header). */
async function traderExposure(q: SqlQueryable, traderId: number, signalId: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `select count(*)::integer as n
       from public.signals s
      where s.trader_id = $1 and s.id <> $2
        and (s.status = 'in_position'
             or exists (select 1 from public.signal_orders so join public.orders o on o.id = so.order_id
                         where so.signal_id = s.id and so.leg = 'entry'
                           and (o.status in ${LIVE_ORDER} or (o.status = 'filled' and s.status = 'ready')))
             or exists (select 1 from public.signal_positions sp join public.positions p on p.id = sp.position_id
                         where sp.signal_id = s.id and p.status = 'open'))`,
    [traderId, signalId],
  );
  return rows[0]?.n ?? 0;
}

/** What already holds `symbol` on the account, other than this signal's own entry: a sentence fragment, or null. */
async function symbolExposure(
  q: SqlQueryable,
  accountId: number,
  symbol: string,
  signalId: number,
): Promise<string | null> {
  const rows = await q.query<{ what: string }>(
    `(select 'an open ' || p.side || ' position of ' || p.amount::text as what
        from public.positions p
       where p.account_id = $1 and p.symbol = $2 and p.status = 'open'
         and not exists (select 1 from public.signal_positions sp where sp.position_id = p.id and sp.signal_id = $3)
       limit 1)
     union all
     (select 'entry order ' || o.client_order_id || ' of signal ' || so.signal_id || ' is ' || o.status
        from public.orders o join public.signal_orders so on so.order_id = o.id and so.leg = 'entry'
        join public.signals s on s.id = so.signal_id
       where o.account_id = $1 and o.symbol = $2 and so.signal_id <> $3
         and (o.status in ${LIVE_ORDER} or (o.status = 'filled' and s.status in ('ready', 'in_position')))
       limit 1)
     union all
     (select 'signal ' || s.id || ' is in position' from public.signals s
        join public.traders t on t.id = s.trader_id
       where t.account_id = $1 and s.symbol = $2 and s.status = 'in_position' and s.id <> $3
       limit 1)`,
    [accountId, symbol, signalId],
  );
  return rows[0]?.what ?? null;
}
