/**
 * Balances per account and asset, split into free and locked (held for open orders), as a spot
 * venue reports them. Every change goes through one of these methods so an overdraft is refused
 * in one place.
 */
import { type Dec, type DecimalLike, dec } from '../../money/decimal.ts';
import { OrderRejected } from './rejections.ts';
import type { BalanceLine } from './types.ts';

const INSUFFICIENT = 'Account has insufficient balance for requested action.';

export class Balances {
  private readonly accounts = new Map<string, Map<string, { free: Dec; locked: Dec }>>();

  open(account: string, initial: Record<string, DecimalLike>): void {
    const lines = new Map<string, { free: Dec; locked: Dec }>();
    for (const [asset, amount] of Object.entries(initial))
      lines.set(asset, { free: dec(amount), locked: dec(0) });
    this.accounts.set(account, lines);
  }

  has(account: string): boolean {
    return this.accounts.has(account);
  }

  list(account: string): BalanceLine[] {
    const lines = this.accounts.get(account);
    if (!lines) return [];
    return [...lines.entries()].map(([asset, line]) => ({ asset, free: line.free, locked: line.locked }));
  }

  free(account: string, asset: string): Dec {
    return this.line(account, asset).free;
  }

  locked(account: string, asset: string): Dec {
    return this.line(account, asset).locked;
  }

  /** Moves `amount` from free to locked; refuses when free is short. */
  lock(account: string, asset: string, amount: Dec): void {
    const line = this.line(account, asset);
    if (line.free.lt(amount)) throw new OrderRejected('insufficient-balance', INSUFFICIENT);
    line.free = line.free.minus(amount);
    line.locked = line.locked.plus(amount);
  }

  /** Moves `amount` from locked back to free. */
  unlock(account: string, asset: string, amount: Dec): void {
    const line = this.line(account, asset);
    line.locked = line.locked.minus(amount);
    line.free = line.free.plus(amount);
  }

  /**
   * Takes `amount` out of the account: `fromLocked` (at most `amount`) out of locked, the rest out
   * of free; refuses when free is short.
   */
  debit(account: string, asset: string, amount: Dec, fromLocked: Dec): void {
    const line = this.line(account, asset);
    const rest = amount.minus(fromLocked);
    if (line.free.lt(rest)) throw new OrderRejected('insufficient-balance', INSUFFICIENT);
    line.locked = line.locked.minus(fromLocked);
    line.free = line.free.minus(rest);
  }

  credit(account: string, asset: string, amount: Dec): void {
    const line = this.line(account, asset);
    line.free = line.free.plus(amount);
  }

  private line(account: string, asset: string): { free: Dec; locked: Dec } {
    const lines = this.accounts.get(account);
    if (!lines) throw new Error(`unknown account ${account}`);
    let line = lines.get(asset);
    if (!line) {
      line = { free: dec(0), locked: dec(0) };
      lines.set(asset, line);
    }
    return line;
  }
}
