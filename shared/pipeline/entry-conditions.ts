/**
 * The monitor's decision, pure: given a signal's levels, the latest price and the clock,
 * wait, go (ready), expire or reject. Written out so every case is testable on its own.
 *
 * - expire: the signal's time to live has passed;
 * - wait:   no usable price (none, or older than the staleness limit), or no entry level
 *           yet, or the price has not come to the entry;
 * - reject: the price is already through the stop-loss (entering would be stopped out at once);
 * - ready:  the price is at the entry, within a tolerance on the wrong side:
 *           long: last ≤ entry·(1 + t); short: last ≥ entry·(1 − t).
 */
import { dec } from '../money/decimal.ts';

export type MonitorDecision = 'wait' | 'ready' | 'expire' | 'reject';

export interface EntryConditionInputs {
  side: 'long' | 'short';
  entry: string | null;
  stopLoss: string | null;
  /** Latest price and when it was observed (ms), or null when there is none. */
  price: { last: string; at: number } | null;
  now: number;
  expiresAt: number | null;
  toleranceBps: number;
  staleAfterMs: number;
}

export interface EntryConditionResult {
  decision: MonitorDecision;
  reason: string;
}

export function evaluateEntryConditions(input: EntryConditionInputs): EntryConditionResult {
  if (input.expiresAt !== null && input.now >= input.expiresAt) {
    return { decision: 'expire', reason: 'the signal expired before its entry conditions were met' };
  }
  if (input.price === null) return { decision: 'wait', reason: 'no price for the symbol yet' };
  const age = input.now - input.price.at;
  if (age > input.staleAfterMs) {
    return { decision: 'wait', reason: `the latest price is stale (${Math.round(age / 1000)} s old)` };
  }
  if (input.entry === null) return { decision: 'wait', reason: 'no entry level yet' };
  const last = dec(input.price.last);
  const long = input.side === 'long';
  if (input.stopLoss !== null) {
    const stop = dec(input.stopLoss);
    if (long ? last.lte(stop) : last.gte(stop)) {
      return {
        decision: 'reject',
        reason: `the price ${input.price.last} is already through the stop-loss ${input.stopLoss}`,
      };
    }
  }
  const tolerance = dec(input.toleranceBps).div(10_000);
  const entry = dec(input.entry);
  const limit = long ? entry.mul(dec(1).plus(tolerance)) : entry.mul(dec(1).minus(tolerance));
  const atEntry = long ? last.lte(limit) : last.gte(limit);
  if (!atEntry) {
    return {
      decision: 'wait',
      reason: `the price ${input.price.last} has not come to the entry ${input.entry}`,
    };
  }
  return { decision: 'ready', reason: `the price ${input.price.last} is at the entry ${input.entry}` };
}

export interface Levels {
  entry: string | null;
  stopLoss: string | null;
  takeProfit: string | null;
}

/**
 * The signal's levels completed with the analyst's: each level the signal's source set is
 * kept (its word wins), each missing one is taken from the analysis — unless the mix would be
 * crossed for the side (a stop above a long's entry), in which case the signal keeps its own.
 */
export function mergeLevels(side: 'long' | 'short', own: Levels, analysed: Levels): Levels {
  const merged: Levels = {
    entry: own.entry ?? analysed.entry,
    stopLoss: own.stopLoss ?? analysed.stopLoss,
    takeProfit: own.takeProfit ?? analysed.takeProfit,
  };
  return levelsOrdered(side, merged) ? merged : own;
}

function levelsOrdered(side: 'long' | 'short', levels: Levels): boolean {
  const sequence = [levels.stopLoss, levels.entry, levels.takeProfit].filter((v): v is string => v !== null);
  for (let i = 1; i < sequence.length; i++) {
    const a = dec(sequence[i - 1]!);
    const b = dec(sequence[i]!);
    if (side === 'long' ? !a.lt(b) : !a.gt(b)) return false;
  }
  return true;
}
