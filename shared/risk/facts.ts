/**
 * What the risk engine decides on: plain values read from the database and the exchange, so
 * that the decision itself (evaluate-entry.ts) is a pure function of them.
 *
 * Money is a decimal string (shared/money/decimal.ts); times are milliseconds since the epoch, UTC.
 */
import type { MarketFees, MarketInfo, OrderSide } from '../exchange/port.ts';

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
  /**
   * risk_parameters.max_dust_bps: the most an entry's expected unsellable remainder may be
   * worth, in basis points of the entry notional (default 100, 1 %). See sizing.ts.
   */
  maxDustBps: number;
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
  /** The fee the entry's market order pays, and where a buy's fee is taken from (entryFeeOf). */
  entryFee: EntryFee;
}

/** The rate (a fraction: "0.001" is 0.1 %) an entry's market order pays, and the asset a buy pays it in. */
export interface EntryFee {
  rate: string;
  buyFeeAsset: MarketFees['buyFeeAsset'];
}

/**
 * What is assumed when the venue does not say how it charges fees: the worst case for what a
 * buy leaves unsellable, Binance spot's default 0.1 % taken from the base asset bought.
 */
export const ASSUMED_ENTRY_FEE: EntryFee = { rate: '0.001', buyFeeAsset: 'base' };

/** The entry's fee from the market's description: the taker rate (the entry is a market order). */
export function entryFeeOf(market: MarketInfo): EntryFee {
  if (!market.fees) return ASSUMED_ENTRY_FEE;
  return { rate: market.fees.taker, buyFeeAsset: market.fees.buyFeeAsset };
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
  | 'balance'
  | 'dust';

export interface RiskViolation {
  rule: RiskRule;
  reason: string;
}

/**
 * What an entry is expected to leave that no exit can sell: the part of the amount held after a
 * buy's fee taken in the base asset that is below one lot step (or all of it, when what is left
 * is below the exchange's minimums), and its worth at the reference price. Zero for a short, a
 * fee taken in the quote asset, or a derivative.
 */
export interface ExpectedDust {
  amount: string;
  notional: string;
}

export type EntryDecision =
  | {
      kind: 'allow';
      side: OrderSide;
      /**
       * A multiple of the market's amount step, never above what the sizing rule asked for: the
       * smallest buy that leaves the most sellable amount after a fee taken in the base asset.
       */
      amount: string;
      /** amount × referencePrice. */
      notional: string;
      referencePrice: string;
      dust: ExpectedDust;
    }
  | { kind: 'reject'; reasons: string[]; violations: RiskViolation[] }
  | {
      kind: 'await_confirmation';
      side: OrderSide;
      amount: string;
      notional: string;
      referencePrice: string;
      dust: ExpectedDust;
      reason: string;
    };

export const orderSideFor = (side: SignalSide): OrderSide => (side === 'long' ? 'buy' : 'sell');
