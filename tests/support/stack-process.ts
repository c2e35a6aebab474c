/**
 * The local stack in a Node process of its own, for tests that kill it (the dispatcher lives in
 * the stack's process): startStack on DATABASE_URL with the options below, `stack-ready <url>`
 * on stdout once it serves, the stack's log on stderr, and a graceful stop on SIGTERM — the
 * same shutdown as Ctrl-C in `npm start`.
 *
 * env: DATABASE_URL, STACK_STATE_DIR (secrets: keep it across restarts), STACK_EXCHANGE_URLS
 * (JSON, the venues the worker's ccxt clients trade on), and the worker tunables the stack
 * passes through (TRADEFLOW_EXCHANGE_TIMEOUT_MS, TRADEFLOW_ORDER_IN_FLIGHT_MS).
 *
 * The stack's own market stands still (a replay slowed to a halt, and no analyst scans), so the
 * only trading is what the test sets up.
 */
import { startStack } from '../../platform/stack/index.ts';

const databaseUrl = process.env.DATABASE_URL;
const stateDir = process.env.STACK_STATE_DIR;
if (!databaseUrl || !stateDir) throw new Error('stack-process: DATABASE_URL and STACK_STATE_DIR must be set');

const stack = await startStack({
  databaseUrl,
  stateDir,
  port: 0,
  candles: 10,
  warmup: 30,
  speed: 0.000_001,
  signalEvery: Number.MAX_SAFE_INTEGER,
  analyst: 'deterministic',
  exchangeUrls: JSON.parse(process.env.STACK_EXCHANGE_URLS ?? '{}') as Record<string, string>,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`stack-ready ${stack.url}\n`);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void stack.stop().then(() => process.exit(0));
});
