/**
 * Fault injection: rules that make chosen requests misbehave the way a real venue or network does,
 * so tests can show what a client does when an order's outcome is unknown.
 *
 * A rule matches by method and path (and optionally API key), may let the first `skip` matches
 * through, and applies to the next `times` matches (forever when `times` is absent). "Per request"
 * is a rule with `times: 1`. Every matching latency rule adds its delay; the first matching rule
 * of any other kind decides what happens to the request.
 */

export type Fault =
  /** Delay the answer (the request is still processed afterwards). */
  | { kind: 'latency'; ms: number }
  /** HTTP 429, code -1003, before processing. */
  | { kind: 'rate-limit' }
  /** HTTP 418 (IP ban), code -1003, before processing. */
  | { kind: 'ban' }
  /** A gateway error page with this 5xx status (default 503), before processing. */
  | { kind: 'server-error'; status?: number }
  /** Any Binance error body with any status, before processing. */
  | { kind: 'binance-error'; status: number; code: number; msg: string }
  /** -2010 insufficient balance, before processing. */
  | { kind: 'insufficient-balance' }
  /** The socket is destroyed before the request is processed: nothing happens on the venue. */
  | { kind: 'drop-connection' }
  /**
   * The request is processed (an order is created) but the answer never comes: the response is
   * held for `holdMs` (default 10 s, longer than a test client's timeout), then the socket is
   * destroyed.
   */
  | { kind: 'accept-then-timeout'; holdMs?: number }
  /** The request is processed, then the socket is destroyed instead of answering. */
  | { kind: 'accept-then-drop' }
  /** The order placed by this request fills at most `fraction` of its quantity per fill event. */
  | { kind: 'partial-fill'; fraction: string | number };

export interface FaultRule {
  /** HTTP method; any when absent. */
  method?: string;
  /** Exact path such as `/api/v3/order`, or a prefix ending in `*`; any when absent. */
  path?: string;
  /** Only requests made with this API key. */
  apiKey?: string;
  /** Let this many matching requests through first. */
  skip?: number;
  /** Apply to this many matching requests, then retire. Forever when absent. */
  times?: number;
  fault: Fault;
}

export interface ActiveRule extends FaultRule {
  id: number;
  /** Requests this rule has applied to. */
  applied: number;
}

export interface FaultPlan {
  delayMs: number;
  fault: Exclude<Fault, { kind: 'latency' }> | undefined;
}

export class FaultBook {
  private rules: ActiveRule[] = [];
  private nextId = 1;

  add(rule: FaultRule): number {
    validate(rule);
    const id = this.nextId++;
    this.rules.push({ ...rule, id, applied: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decides what happens to one request and counts it against the rules it consumed. */
  take(method: string, path: string, apiKey: string | undefined): FaultPlan {
    const plan: FaultPlan = { delayMs: 0, fault: undefined };
    for (const rule of this.rules) {
      if (!matches(rule, method, path, apiKey)) continue;
      const isLatency = rule.fault.kind === 'latency';
      if (!isLatency && plan.fault) continue;
      if (rule.skip && rule.skip > 0) {
        rule.skip -= 1;
        continue;
      }
      rule.applied += 1;
      if (rule.fault.kind === 'latency') plan.delayMs += rule.fault.ms;
      else plan.fault = rule.fault;
    }
    this.rules = this.rules.filter((r) => r.times === undefined || r.applied < r.times);
    return plan;
  }
}

function matches(rule: FaultRule, method: string, path: string, apiKey: string | undefined): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.apiKey && rule.apiKey !== apiKey) return false;
  if (!rule.path) return true;
  return rule.path.endsWith('*') ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
}

const KINDS = new Set([
  'latency',
  'rate-limit',
  'ban',
  'server-error',
  'binance-error',
  'insufficient-balance',
  'drop-connection',
  'accept-then-timeout',
  'accept-then-drop',
  'partial-fill',
]);

function validate(rule: FaultRule): void {
  if (!rule || typeof rule !== 'object' || !rule.fault || !KINDS.has(rule.fault.kind)) {
    throw new Error(`a fault rule needs fault.kind, one of: ${[...KINDS].join(', ')}`);
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error('times must be a positive integer');
  }
}
