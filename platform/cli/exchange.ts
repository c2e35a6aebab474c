/**
 * `npm run exchange -- --port <p> [--data <ohlcv.json> ...] [--speed <x>] [--balance <n | ASSET=n,...>]`
 *
 * Starts the local Binance-spot-compatible exchange and prints the URL it listens on. Without
 * `--data` it replays seeded random walks (BTC/USDT, ETH/USDT, ETH/BTC) that end at the current
 * minute. Stops cleanly on SIGINT / SIGTERM.
 *
 * Other options: `--host <h>` (default 127.0.0.1), `--key KEY:SECRET` (verify that key's
 * signatures; repeatable), `--strict-keys` (refuse unregistered keys), `--fee-mode
 * received-asset|quote`, `--maker <rate>`, `--taker <rate>`, `--slippage-bps <n>`,
 * `--spread-bps <n>`, `--partial-fill <fraction>`, `--seed <n>`. `--speed 0` replays only on
 * `POST /__control/step`.
 */
import { parseArgs } from 'node:util';
import type { FeeMode } from '../../shared/exchange/matching/types.ts';
import { startExchangeServer } from '../exchange-server/server.ts';

const USAGE =
  'usage: npm run exchange -- --port <p> [--data <ohlcv.json> ...] [--speed <x>] [--balance <n | ASSET=n,...>]';

function fail(message: string): never {
  console.error(`exchange: ${message}\n${USAGE}`);
  process.exit(2);
}

/** `5000` (every quote asset) or `USDT=5000,BTC=0.5`. */
function parseBalance(value: string | undefined): string | Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const entries = value.split(',').map((pair) => pair.split('='));
  if (entries.some(([asset, amount]) => !asset || !amount || !/^\d+(\.\d+)?$/.test(amount))) {
    fail(`--balance must be a number or ASSET=amount pairs, got ${value}`);
  }
  return Object.fromEntries(entries.map(([asset, amount]) => [asset!.toUpperCase(), amount!]));
}

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', multiple: true },
        speed: { type: 'string', default: '1' },
        balance: { type: 'string' },
        key: { type: 'string', multiple: true },
        'strict-keys': { type: 'boolean', default: false },
        'fee-mode': { type: 'string' },
        maker: { type: 'string' },
        taker: { type: 'string' },
        'slippage-bps': { type: 'string' },
        'spread-bps': { type: 'string' },
        'partial-fill': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: false,
    });
  } catch (error) {
    fail((error as Error).message);
  }
}

const { values } = parseCommandLine();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const feeMode = values['fee-mode'];
if (feeMode !== undefined && feeMode !== 'received-asset' && feeMode !== 'quote') {
  fail(`--fee-mode must be received-asset or quote, got ${feeMode}`);
}
const apiKeys: Record<string, string> = {};
for (const pair of values.key ?? []) {
  const at = pair.indexOf(':');
  if (at <= 0) fail(`--key must be KEY:SECRET, got ${pair}`);
  apiKeys[pair.slice(0, at)] = pair.slice(at + 1);
}
const interval = 60_000;
const history = 500;

const server = await startExchangeServer({
  host: values.host,
  port: parseNumber('port', values.port),
  dataFiles: values.data,
  speed: parseNumber('speed', values.speed),
  startingBalance: parseBalance(values.balance),
  apiKeys,
  strictApiKeys: values['strict-keys'],
  fees: { mode: feeMode as FeeMode | undefined, maker: values.maker, taker: values.taker },
  slippageBps: values['slippage-bps'],
  spreadBps: values['spread-bps'],
  partialFillFraction: values['partial-fill'],
  // Generated markets end at the current minute, so a live client sees recent timestamps.
  generated: {
    seed: parseNumber('seed', values.seed),
    history,
    startTime: Math.floor(Date.now() / interval) * interval - (history - 1) * interval,
  },
  log: (line) => console.error(line),
}).catch((error: unknown) => fail((error as Error).message));

const markets = server.venue.feedList().map((f) => f.market.symbol);
console.log(`exchange listening on ${server.url} (markets: ${markets.join(', ')})`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(`exchange: ${signal}, stopping`);
  await server.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
