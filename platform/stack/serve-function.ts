/**
 * Runs one Edge Function under Deno on a port the local stack chooses (the Deno launcher).
 *
 *   deno run -A platform/stack/serve-function.ts functions/<name>/index.ts
 *
 * The functions call `Deno.serve(app.fetch)` exactly as on Supabase, which would bind every one
 * of them to port 8000. Rather than change the functions for the local stack, this launcher
 * replaces `Deno.serve` before importing the function, forcing host 127.0.0.1 and the port in
 * `TRADEFLOW_FUNCTION_PORT`, and announces readiness with one line on stdout
 * (`tradeflow-function-listening <port>`) that the stack waits for.
 *
 * With `TRADEFLOW_MARKET_CLOCK=1` the function also runs on the market clock of the replay:
 * every request the stack sends carries `x-tradeflow-market-time` (ms), and `Date` inside this
 * process follows it (real time keeps flowing between requests). A replay at 60× or "max" speed
 * then looks to the worker exactly like a live market, instead of candles from the future.
 *
 * Written against a minimal view of the Deno namespace so that Node's type check accepts it.
 */

type Handler = (request: Request, info?: unknown) => Response | Promise<Response>;
interface ServeOptions {
  port?: number;
  hostname?: string;
  handler?: Handler;
  onListen?: (address: { port: number; hostname: string }) => void;
  [key: string]: unknown;
}
interface DenoLike {
  serve(...args: unknown[]): unknown;
  env: { get(name: string): string | undefined };
  args: string[];
  cwd(): string;
}

const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
const MARKET_TIME_HEADER = 'x-tradeflow-market-time';

const port = Number(deno.env.get('TRADEFLOW_FUNCTION_PORT'));
const entry = deno.args[0];
if (!Number.isInteger(port) || port <= 0 || !entry) {
  throw new Error('usage: TRADEFLOW_FUNCTION_PORT=<port> deno run -A serve-function.ts <function index.ts>');
}

const realDate = Date;
const realNow = (): number => realDate.now();

const followMarketClock = deno.env.get('TRADEFLOW_MARKET_CLOCK') === '1';
let clockOffsetMs = 0;
if (followMarketClock) installMarketClock(() => clockOffsetMs);

const originalServe = deno.serve.bind(deno);
deno.serve = (...args: unknown[]) => {
  const handlerArg = args.find((arg): arg is Handler => typeof arg === 'function');
  const options = (args.find((arg) => typeof arg === 'object' && arg !== null) ?? {}) as ServeOptions;
  const handler = handlerArg ?? options.handler;
  if (!handler) throw new Error('serve-function: Deno.serve was called without a handler');
  const wrapped: Handler = (request, info) => {
    if (followMarketClock) {
      const marketTime = Number(request.headers.get(MARKET_TIME_HEADER));
      if (Number.isFinite(marketTime) && marketTime > 0) clockOffsetMs = marketTime - realNow();
    }
    return handler(request, info);
  };
  return originalServe(
    {
      ...options,
      handler: undefined,
      hostname: '127.0.0.1',
      port,
      onListen: (address: { port: number }) => console.log(`tradeflow-function-listening ${address.port}`),
    },
    wrapped,
  );
};

/** Replaces the global Date with one offset by the market clock; explicit dates are unchanged. */
function installMarketClock(offset: () => number): void {
  const Real = realDate;
  class MarketDate extends Real {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(Real.now() + offset());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return Real.now() + offset();
    }
  }
  (globalThis as unknown as { Date: DateConstructor }).Date = MarketDate as unknown as DateConstructor;
}

const url = new URL(entry, `file://${deno.cwd()}/`);
await import(url.href);

export {};
