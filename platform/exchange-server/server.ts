/**
 * A local Binance-spot-compatible HTTP exchange. The real `ccxt.binance` client talks to it with
 * only its URLs changed (see `ccxt-client.ts`); orders are matched against replayed candles by
 * the pure engine in `shared/exchange/matching/`; faults can be injected per request or by rule.
 *
 * Replay is manual by default (`step()` or `POST /__control/step` advance one candle), which
 * keeps tests deterministic; `speed` replays on a timer instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Order } from '../../shared/exchange/matching/types.ts';
import type { DecimalLike } from '../../shared/money/decimal.ts';
import { signedPayload } from './auth.ts';
import { BinanceError, errors } from './binance-errors.ts';
import { ControlError, handleControl, ordersByAccount } from './control-api.ts';
import { FaultBook, type FaultRule } from './faults.ts';
import {
  type FeedSpec,
  feedFromFile,
  feedFromSpec,
  type GeneratedFeedOptions,
  generatedFeeds,
} from './feeds.ts';
import { Params } from './params.ts';
import { publicRoutes } from './public-api.ts';
import type { ReplayFeed } from './replay.ts';
import { tradingRoutes } from './trading-api.ts';
import { type StepResult, Venue, type VenueOptions } from './venue.ts';

export interface ExchangeServerOptions extends Omit<VenueOptions, 'feeds'> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Markets given as candles (tests). */
  feeds?: FeedSpec[];
  /** OHLCV JSON files, `BASE_QUOTE-<interval>.json`. */
  dataFiles?: string[];
  /** Options of the built-in random walk, used when neither `feeds` nor `dataFiles` is given. */
  generated?: GeneratedFeedOptions;
  /**
   * Replay speed: candle intervals per real interval (60 turns 1 m candles into one per second).
   * Absent or 0: manual stepping only.
   */
  speed?: number;
  /** API keys whose signatures are verified, key → secret. */
  apiKeys?: Record<string, string>;
  log?: (line: string) => void;
}

export interface ExchangeServer {
  /** Base URL, e.g. `http://127.0.0.1:53211`. */
  url: string;
  port: number;
  venue: Venue;
  faults: FaultBook;
  /** Advances the replay by `count` candles (every market, or one) and matches resting orders. */
  step(count?: number, symbol?: string): StepResult[];
  /** Adds a fault rule; returns its id. */
  injectFault(rule: FaultRule): number;
  /** Every order the server accepted, per API key (engine objects). */
  orders(apiKey?: string): Order[];
  /** The same list in the JSON shape `GET /__control/orders` answers. */
  ordersJson(apiKey?: string): Record<string, Record<string, unknown>[]>;
  registerAccount(
    apiKey: string,
    options?: { secret?: string; balances?: Record<string, DecimalLike> },
  ): void;
  close(): Promise<void>;
}

const DEFAULT_HOLD_MS = 10_000;

export async function startExchangeServer(options: ExchangeServerOptions = {}): Promise<ExchangeServer> {
  const log = options.log ?? (() => {});
  const feeds = await buildFeeds(options);
  const venue = new Venue({ ...options, feeds });
  for (const [apiKey, secret] of Object.entries(options.apiKeys ?? {}))
    venue.registerAccount(apiKey, { secret });
  const faults = new FaultBook();
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`exchange: unhandled error ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent && !res.destroyed)
        send(res, errors.unknownError().status, errors.unknownError().body());
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://exchange.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;

    if (path.startsWith('/__control/')) {
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
        const answer = handleControl(venue, faults, method, path, url.searchParams, body);
        send(res, answer.status, answer.body);
      } catch (error) {
        const status = error instanceof ControlError ? error.status : 400;
        send(res, status, {
          error: { code: status === 404 ? 'not_found' : 'bad_request', message: (error as Error).message },
        });
      }
      return;
    }

    const apiKey = headerValue(req, 'x-mbx-apikey');
    const plan = faults.take(method, path, apiKey);
    if (plan.delayMs > 0) await wait(plan.delayMs);
    if (closing || res.destroyed) return;
    const fault = plan.fault;
    switch (fault?.kind) {
      case 'drop-connection':
        req.socket.destroy();
        return;
      case 'rate-limit':
        return sendError(res, errors.tooManyRequests(), { 'Retry-After': '1' });
      case 'ban':
        return sendError(res, errors.banned(Date.now() + 120_000), { 'Retry-After': '120' });
      case 'server-error': {
        const status = fault.status ?? 503;
        res.writeHead(status, { 'Content-Type': 'text/html' });
        res.end(`<html><body><h1>${status} Service Temporarily Unavailable</h1></body></html>`);
        return;
      }
      case 'binance-error':
        return sendError(res, new BinanceError(fault.status, fault.code, fault.msg));
      case 'insufficient-balance':
        return sendError(res, errors.insufficientBalance());
    }

    const partial = fault?.kind === 'partial-fill' ? fault.fraction : undefined;
    const answer = route(method, path, url.search.slice(1), rawBody, apiKey, partial);

    if (fault?.kind === 'accept-then-timeout') {
      await holdThenDrop(req, res, fault.holdMs ?? DEFAULT_HOLD_MS);
      return;
    }
    if (fault?.kind === 'accept-then-drop') {
      req.socket.destroy();
      return;
    }
    send(res, answer.status, answer.body);
  }

  /** Runs one Binance endpoint; every failure becomes Binance's `{code, msg}` answer. */
  function route(
    method: string,
    path: string,
    rawQuery: string,
    rawBody: string,
    apiKey: string | undefined,
    partialFillFraction: string | number | undefined,
  ): { status: number; body: unknown } {
    const key = `${method} ${path}`;
    try {
      // Binance reads the query string and the form body together; the query string wins.
      const values = new URLSearchParams(rawBody);
      for (const [name, value] of new URLSearchParams(rawQuery)) values.set(name, value);
      const params = new Params(values);
      const publicHandler = publicRoutes[key];
      if (publicHandler) return { status: 200, body: publicHandler(venue, params) };
      const tradingHandler = tradingRoutes[key];
      if (!tradingHandler) throw errors.unsupported();
      const refusal = venue.keys.check(apiKey, signedPayload(rawQuery, rawBody), params.string('signature'));
      if (refusal) throw refusal;
      if (!params.has('timestamp')) throw errors.mandatory('timestamp');
      venue.ensureAccount(apiKey!);
      return { status: 200, body: tradingHandler(venue, params, { apiKey: apiKey!, partialFillFraction }) };
    } catch (error) {
      if (error instanceof BinanceError) return { status: error.status, body: error.body() };
      log(`exchange: ${key} failed: ${(error as Error).stack ?? String(error)}`);
      return { status: 500, body: errors.unknownError().body() };
    }
  }

  /** Keeps the client waiting (past its timeout), then drops the connection. */
  function holdThenDrop(req: IncomingMessage, res: ServerResponse, holdMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        timers.delete(timer);
        req.socket.destroy();
        resolve();
      };
      const timer = setTimeout(done, holdMs);
      timers.add(timer);
      res.once('close', done);
    });
  }

  const speed = options.speed ?? 0;
  if (speed > 0) {
    for (const feed of feeds) startReplayTimer(feed, speed);
  }

  function startReplayTimer(feed: ReplayFeed, replaySpeed: number): void {
    const timer = setInterval(
      () => {
        const [result] = venue.step(1, feed.symbol);
        if (result && !result.advanced) {
          log(`exchange: ${feed.symbol} reached the end of its data; holding the last candle`);
          clearInterval(timer);
          timers.delete(timer);
        }
      },
      Math.max(1, feed.intervalMs / replaySpeed),
    );
    timers.add(timer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    port: address.port,
    venue,
    faults,
    step: (count, symbol) => venue.step(count, symbol),
    injectFault: (rule) => faults.add(rule),
    orders: (apiKey) => venue.engine.allOrders().filter((o) => apiKey === undefined || o.account === apiKey),
    ordersJson: (apiKey) => ordersByAccount(venue, apiKey),
    registerAccount: (apiKey, accountOptions) => venue.registerAccount(apiKey, accountOptions),
    close: async () => {
      if (closing) return;
      closing = true;
      for (const timer of timers) {
        clearTimeout(timer);
        clearInterval(timer);
      }
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

async function buildFeeds(options: ExchangeServerOptions): Promise<ReplayFeed[]> {
  const feeds: ReplayFeed[] = (options.feeds ?? []).map(feedFromSpec);
  for (const path of options.dataFiles ?? []) feeds.push(await feedFromFile(path));
  return feeds.length > 0 ? feeds : generatedFeeds(options.generated);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: BinanceError, headers: Record<string, string> = {}): void {
  send(res, error.status, error.body(), headers);
}
