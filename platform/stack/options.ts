/**
 * The local stack's options, and the `npm start` flags that set them.
 */
import { parseArgs } from 'node:util';

export type AnalystChoice = 'deterministic' | 'openai';

export interface StackOptions {
  /** Any PostgreSQL instead of the embedded database (DATABASE_URL). */
  databaseUrl?: string;
  /** Embedded database directory (default .tradeflow/pgdata). */
  dataDir?: string;
  /** Secrets and other local state (default .tradeflow). */
  stateDir?: string;
  /** Start from an empty embedded database. */
  reset?: boolean;
  /** Wire port of the embedded database (default 54322; 0 = any free port). */
  dbPort?: number;
  /** The HTTP front: /functions/v1/<name> and /realtime/v1/websocket (default 54321; 0 = any). */
  port?: number;
  /** OHLCV JSON files to replay (`BASE_QUOTE-<interval>.json`); none → the seeded simulator. */
  dataFiles?: string[];
  /** Candle intervals per real interval, or 'max' (as fast as the pipeline settles). Default 60. */
  speed?: number | 'max';
  /** Candles to replay (simulator default 1440; files: to their end). */
  candles?: number;
  /** Candles shown as history before the replay starts (default 100). */
  warmup?: number;
  /** Simulator seed (default 7). */
  seed?: number;
  /** The analyst that proposes signals (default: openai when OPENAI_API_KEY is set). */
  analyst?: AnalystChoice;
  /** Scan the market for signals every this many candles (default 10). */
  signalEvery?: number;
  /** Replay to the end, wait for the pipeline to settle, print the summary as JSON, stop. */
  exitWhenDone?: boolean;
  /**
   * Exchange id → base URL for the worker's ccxt clients (testnet and live accounts), over the
   * default of binance → the replay's local exchange.
   */
  exchangeUrls?: Record<string, string>;
  /**
   * Environment the functions' settings come from (default process.env): OPENAI_* pass through,
   * and the worker's TRADEFLOW_EXCHANGE_TIMEOUT_MS and TRADEFLOW_ORDER_IN_FLIGHT_MS.
   */
  env?: Record<string, string | undefined>;
  /** Where progress and notices go (default: the terminal). */
  log?: (line: string) => void;
}

export const DEFAULT_FRONT_PORT = 54_321;
export const DEFAULT_DB_PORT = 54_322;
export const DEFAULT_SPEED = 60;

export const USAGE = `usage: npm start -- [options]
  --data <file.json>       replay an OHLCV file (repeatable; symbols from the file names)
  --speed <x|max>          candle intervals per real interval (default ${DEFAULT_SPEED}), or max
  --candles <n>            candles to replay (simulator default 1440; files: to the end)
  --warmup <n>             candles of history before the replay starts (default 100)
  --seed <n>               simulator seed (default 7)
  --analyst <kind>         deterministic | openai (default openai when OPENAI_API_KEY is set)
  --signal-every <n>       scan for signals every n candles (default 10)
  --exit-when-done         replay to the end, print the summary as one JSON line, exit 0
  --port <p>               HTTP front (default ${DEFAULT_FRONT_PORT})
  --db-port <p>            wire port of the embedded database (default ${DEFAULT_DB_PORT})
  --data-dir <dir>         embedded database directory (default .tradeflow/pgdata)
  --reset                  start from an empty embedded database
  --once                   print the platform's state as JSON and exit
  DATABASE_URL=postgres://…  use that PostgreSQL instead of the embedded database`;

export interface CliArgs {
  once: boolean;
  stack: StackOptions;
}

/** Parses `npm start` flags; throws an Error whose message is meant for the user. */
export function parseStackArgs(argv: string[], env: Record<string, string | undefined>): CliArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', multiple: true },
      speed: { type: 'string' },
      candles: { type: 'string' },
      warmup: { type: 'string' },
      seed: { type: 'string' },
      analyst: { type: 'string' },
      'signal-every': { type: 'string' },
      'exit-when-done': { type: 'boolean', default: false },
      port: { type: 'string' },
      'db-port': { type: 'string' },
      'data-dir': { type: 'string' },
      reset: { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) throw new Error(USAGE);
  const analyst = values.analyst;
  if (analyst !== undefined && analyst !== 'deterministic' && analyst !== 'openai') {
    throw new Error(`--analyst must be deterministic or openai, got ${analyst}`);
  }
  if (analyst === 'openai' && !env.OPENAI_API_KEY?.trim()) {
    throw new Error('--analyst openai needs OPENAI_API_KEY (and optionally OPENAI_BASE_URL, OPENAI_MODEL)');
  }
  const stack: StackOptions = {
    reset: values.reset,
    exitWhenDone: values['exit-when-done'],
    dataFiles: values.data ?? [],
  };
  if (env.DATABASE_URL?.trim()) stack.databaseUrl = env.DATABASE_URL.trim();
  if (values['data-dir']) stack.dataDir = values['data-dir'];
  if (analyst) stack.analyst = analyst;
  if (values.speed !== undefined) stack.speed = parseSpeed(values.speed);
  const numbers: [keyof StackOptions, string | undefined, string, number][] = [
    ['candles', values.candles, '--candles', 1],
    ['warmup', values.warmup, '--warmup', 0],
    ['seed', values.seed, '--seed', 0],
    ['signalEvery', values['signal-every'], '--signal-every', 1],
  ];
  for (const [key, text, flag, min] of numbers) {
    if (text !== undefined) (stack as Record<string, unknown>)[key] = wholeNumber(text, flag, min);
  }
  if (values.port !== undefined) stack.port = portNumber(values.port, '--port');
  if (values['db-port'] !== undefined) stack.dbPort = portNumber(values['db-port'], '--db-port');
  return { once: values.once, stack };
}

export function parseSpeed(text: string): number | 'max' {
  if (text === 'max') return 'max';
  const speed = Number(text.replace(/x$/, ''));
  if (!Number.isFinite(speed) || speed <= 0)
    throw new Error(`--speed must be a positive number or max, got ${text}`);
  return speed;
}

function wholeNumber(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`${flag} must be a whole number ≥ ${min}, got ${text}`);
  return value;
}

function portNumber(text: string, flag: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`${flag} must be a port number, got ${text}`);
  return port;
}
