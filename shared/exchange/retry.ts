/**
 * Retries for exchange *reads* (markets, ticker, order lookups, balances): exponential backoff
 * with jitter, only for retryable errors (errors.ts). Order creation is never retried here:
 * after a failed create, placement.ts looks the order up by client id before anything else.
 *
 * Jitter is "equal jitter" (half the delay fixed, half random): several invocations that hit
 * the same rate limit spread out instead of returning in lockstep, and the delay still grows.
 */
import { isRetryable } from './errors.ts';

export interface BackoffPolicy {
  /** Total tries, the first included (1 = no retry). */
  attempts: number;
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Cap on any one delay. */
  maxMs: number;
  /** Growth per retry (default 2). */
  factor?: number;
}

export const DEFAULT_READ_RETRY: BackoffPolicy = { attempts: 4, baseMs: 250, maxMs: 8_000, factor: 2 };

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Delay before retry number `retry` (1-based), in [d/2, d] with d = min(maxMs, baseMs·factor^(retry-1)). */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * (policy.factor ?? 2) ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export interface RetryOptions {
  policy?: BackoffPolicy;
  sleep?: Sleep;
  random?: () => number;
  /** Which errors are worth another try (default: the retryable class). */
  retryOn?: (error: unknown) => boolean;
  onRetry?: (error: unknown, retry: number, delayMs: number) => void;
}

export async function withRetry<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = options.policy ?? DEFAULT_READ_RETRY;
  const sleep = options.sleep ?? realSleep;
  const retryOn = options.retryOn ?? isRetryable;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.attempts || !retryOn(error)) throw error;
      const delay = backoffDelay(attempt, policy, options.random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}
