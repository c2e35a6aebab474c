/**
 * What the risk engine decides on: plain values read from the database and the exchange, so
 * that the decision itself (evaluate-entry.ts) is a pure function of them.
 *
 * Money is a decimal string (shared/money/decimal.ts); times are milliseconds since the epoch, UTC.
 */
import type { MarketInfo, OrderSide } from '../exchange/port.ts';

export type SizingRule = 'fixed_quote' | 'percent_equity' | 'risk_percent';
export type SignalSide = 'long' | 'short';

export interface SignalFacts {
  id: number;
  status: string;
  symbol: string;
  side: SignalSide;
  entryPrice: string | null;
  stopLoss: string | null;
  takeProfit: string | null;
  requiresConfirmation: boolean;
  confirmedAt: number | null;
}

export interface TraderFacts {
  id: number;
  name: string;
  sizingRule: SizingRule;
  sizingValue: string;
  maxPositions: number;
  dailyLossLimit: string | null;
  /** Empty: every symbol is allowed. */
  allowedSymbols: string[];
  haltedUntil: number | null;
  haltReason: string | null;
}

export interface AccountFacts {
  id: number;
  status: string;
  /** public.exchange_accounts.max_order_notional: the account's own ceiling per order. */
  maxOrderNotional: string | null;
}

/**
 * public.risk_parameters resolved for one trader: its own row wins field by field, the user's
 * row (trader_id null) fills the gaps. The daily loss limit is the exception: the user's row
 * limits the user's total, the trader's row limits the trader (see evaluate-entry.ts).
 */
export interface RiskLimits {
  maxOpenPositions: number | null;
  maxPositionNotional: string | null;
  /** The trader's risk_parameters row only. */
  traderDailyLossLimit: string | null;
  /** The user's risk_parameters row only; compared with the user's realised P&L across traders. */
  userDailyLossLimit: string | null;
  maxSlippageBps: number;
  largeTradeThreshold: string | null;
}

export interface KillSwitchFacts {
  /** Reason of the user's engaged kill switch, or null when not engaged. */
  user: { reason: string | null } | null;
  trader: { reason: string | null } | null;
}

export interface ExposureFacts {
  /** The trader's other signals holding or about to hold a position (see entry-state.ts). */
  openPositions: number;
  /** What already holds the signal's symbol on its account (a sentence fragment), or null. */
  symbolExposure: string | null;
  /** Realised P&L today (UTC), of the trader and of the user; negative is a loss. */
  traderRealizedPnlToday: string;
  userRealizedPnlToday: string;
}

/** The exchange side: the market's filters, its last price and the account's balance in its quote and base. */
export interface MarketFacts {
  market: MarketInfo;
  last: string;
  bid: string | null;
  ask: string | null;
  /** Total balance of the quote currency (free + used): the equity sizing works from. */
  equity: string;
  freeQuote: string;
  freeBase: string;
}

/** The facts that live in the database (what the in-transaction guard can re-read). */
export interface EntryState {
  now: number;
  owner: string;
  signal: SignalFacts;
  trader: TraderFacts;
  account: AccountFacts;
  limits: RiskLimits;
  killSwitches: KillSwitchFacts;
  exposure: ExposureFacts;
}

export interface EntryFacts extends EntryState {
  market: MarketFacts;
}

/** Names of the rules, for callers that act on which rule refused (retry later vs reject the signal). */
export type RiskRule =
  | 'signal_status'
  | 'account'
  | 'kill_switch'
  | 'trader_halted'
  | 'allowed_symbols'
  | 'max_positions'
  | 'daily_loss'
  | 'duplicate_exposure'
  | 'sizing'
  | 'price_sanity'
  | 'levels'
  | 'exchange_minimums'
  | 'max_notional'
  | 'balance';

export interface RiskViolation {
  rule: RiskRule;
  reason: string;
}

export type EntryDecision =
  | {
      kind: 'allow';
      side: OrderSide;
      /** Rounded down to the market's amount step. */
      amount: string;
      /** amount × referencePrice. */
      notional: string;
      referencePrice: string;
    }
  | { kind: 'reject'; reasons: string[]; violations: RiskViolation[] }
  | {
      kind: 'await_confirmation';
      side: OrderSide;
      amount: string;
      notional: string;
      referencePrice: string;
      reason: string;
    };

export const orderSideFor = (side: SignalSide): OrderSide => (side === 'long' ? 'buy' : 'sell');
