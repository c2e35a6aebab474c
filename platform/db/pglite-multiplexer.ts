/**
 * One embedded PGlite shared, transaction by transaction, by the Node platform (in-process) and
 * by many PostgreSQL wire connections (the Deno functions' postgres.js pools, psql).
 *
 * PGlite is a single Postgres session. pglite-socket queues *statements*, so one client's
 * statement can run inside another client's open transaction — a lost update waiting to happen
 * in a trading system. Here one FIFO lock guards the session, and its unit is the transaction:
 *
 * - a wire connection takes the lock when it sends a message and keeps it until the backend's
 *   ReadyForQuery says the session is idle ('I'); while it reports 'T' (in a transaction) or 'E'
 *   (failed transaction), or while an extended-protocol sequence (Parse/Bind/Execute… up to
 *   Sync) is unfinished, nobody else runs;
 * - in-process callers take the same lock per statement, and for the whole of `transaction(fn)`;
 * - a connection that disconnects mid-transaction is rolled back, and one that sits idle while
 *   holding the lock for longer than `idleInTransactionTimeoutMs` is disconnected (and so
 *   rolled back), so one stuck client cannot freeze the platform.
 *
 * Why our own server instead of pglite-socket's handler: that handler does not expose the
 * transaction status, runs its queue per message, and uses `execProtocolRawStream`, whose output
 * PGlite does not parse — so NOTIFYs raised over the wire never reached in-process listeners.
 * We frame messages ourselves and call `execProtocol(…, { throwOnError: false })`, which returns
 * the raw bytes for the client *and* lets PGlite dispatch notifications to `pglite.listen`.
 *
 * What the session still shares (documented limits, not bugs): session-level settings (`SET`
 * without LOCAL — use `set_config(…, true)` as the code base does), temporary tables, session
 * advisory locks. Named prepared statements and portals are renamed per connection (`c<id>_…`)
 * so that clients cannot collide, and deallocated when the connection ends; a client that
 * DEALLOCATEs by SQL text must use the protocol's Close instead. CancelRequest is not supported.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQueryable } from '../../shared/db/sql.ts';
import { openPglite } from './pglite-client.ts';

export interface SharedPgliteOptions {
  /** A wire connection holding the lock without sending anything for this long is disconnected. */
  idleInTransactionTimeoutMs?: number;
}

export interface WireEndpoint {
  /** postgres://postgres:postgres@host:port/postgres */
  url: string;
  stop(): Promise<void>;
}

export interface SharedPglite {
  /** The instance itself; query it only through `db` and `listen` while it is served. */
  pglite: PGlite;
  /** In-process SqlClient; every statement and every transaction takes the lock. */
  db: SqlClient;
  /** LISTEN in-process (same shape as platform/realtime/listen.ts `Listen`), under the lock. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  serve(port: number, host?: string): Promise<WireEndpoint>;
  close(): Promise<void>;
}

export const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/** Opens (or creates) an embedded database shared by in-process callers and wire clients. */
export async function openSharedPglite(
  dataDir?: string,
  options: SharedPgliteOptions = {},
): Promise<SharedPglite> {
  const { db: unlocked, pglite } = await openPglite(dataDir);
  const lock = new FifoLock();
  const db = lockedClient(unlocked, pglite, lock);
  const wire = new WireHub(pglite, lock, {
    idleInTransactionTimeoutMs: options.idleInTransactionTimeoutMs ?? DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  const endpoints = new Set<WireEndpoint>();
  let closed = false;

  return {
    pglite,
    db,
    async listen(channel, onPayload) {
      const unsubscribe = await lock.run(() => pglite.listen(channel, onPayload));
      wire.inProcessChannels.add(channelName(channel));
      return async () => {
        wire.inProcessChannels.remove(channelName(channel));
        if (!pglite.closed) await lock.run(() => unsubscribe());
      };
    },
    async serve(port, host = '127.0.0.1') {
      if (closed) throw new Error('the shared PGlite is closed');
      const endpoint = await wire.listen(port, host);
      const tracked: WireEndpoint = {
        url: endpoint.url,
        async stop() {
          endpoints.delete(tracked);
          await endpoint.stop();
        },
      };
      endpoints.add(tracked);
      return tracked;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...endpoints].map((endpoint) => endpoint.stop()));
      // Waits for whoever holds the session (an in-process transaction) to finish.
      await lock.run(async () => {
        if (!pglite.closed) await pglite.close();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The lock

/** A mutual-exclusion lock granted in arrival order, so that no caller starves. */
export class FifoLock {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  /** Resolves once the lock is ours; call the returned function exactly once to give it back. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#held = true;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.#release();
        });
      };
      if (this.#held) this.#waiting.push(grant);
      else grant();
    });
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  get queued(): number {
    return this.#waiting.length;
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }
}

// ---------------------------------------------------------------------------------------------
// In-process access

/**
 * Marks the async context of an in-process lock holder. A statement sent through the shared `db`
 * from inside `db.transaction(fn)` (instead of through `tx`) would wait forever for the lock its
 * own transaction holds — bare PGlite deadlocks the same way — so it is refused with a reason.
 */
interface InProcessHold {
  active: boolean;
}

function lockedClient(unlocked: SqlClient, pglite: PGlite, lock: FifoLock): SqlClient {
  const holds = new AsyncLocalStorage<InProcessHold>();

  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (holds.getStore()?.active) {
      throw new Error(
        'db was called from inside db.transaction(fn): use its tx, the embedded database runs one transaction at a time',
      );
    }
    return lock.run(async () => {
      const hold: InProcessHold = { active: true };
      try {
        const result = await holds.run(hold, fn);
        // A bare `begin` through query/exec would leave the session in a transaction that the
        // next wire client would then run inside: undo it and say so.
        if (pglite.isInTransaction()) {
          await unlocked.exec('rollback');
          throw new Error('a statement left a transaction open: use db.transaction(fn) instead');
        }
        return result;
      } finally {
        hold.active = false;
      }
    });
  }

  return {
    query<T>(text: string, params?: readonly unknown[]) {
      return exclusive(() => unlocked.query<T>(text, params));
    },
    exec(script: string) {
      return exclusive(() => unlocked.exec(script));
    },
    transaction<T>(fn: (tx: SqlQueryable) => Promise<T>) {
      return exclusive(() => unlocked.transaction(fn));
    },
    close() {
      return lock.run(() => unlocked.close());
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The wire side

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP_LENGTH = 10_000;
const MAX_MESSAGE_LENGTH = 1 << 30;

interface WireOptions {
  idleInTransactionTimeoutMs: number;
}

/** Counts in-process LISTENs per channel, so a wire UNLISTEN does not silence them. */
class ChannelCounts {
  readonly #counts = new Map<string, number>();
  add(name: string): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
  }
  remove(name: string): void {
    const count = (this.#counts.get(name) ?? 0) - 1;
    if (count > 0) this.#counts.set(name, count);
    else this.#counts.delete(name);
  }
  names(): string[] {
    return [...this.#counts.keys()];
  }
}

class WireHub {
  readonly connections = new Set<WireConnection>();
  readonly inProcessChannels = new ChannelCounts();
  #nextId = 1;

  constructor(
    readonly pglite: PGlite,
    readonly lock: FifoLock,
    readonly options: WireOptions,
  ) {
    // Every notification PGlite parses — raised by a wire client or in-process — is routed to
    // the wire connections that LISTEN on its channel; the raw 'A' messages are stripped from
    // wire output, since they go to whichever connection happened to run the next statement.
    pglite.onNotification((channel, payload) => {
      for (const connection of this.connections) connection.notify(channel, payload);
    });
  }

  async listen(port: number, host: string): Promise<WireEndpoint> {
    const own = new Set<WireConnection>();
    const server: Server = createServer((socket) => {
      const connection = new WireConnection(this, socket, this.#nextId++);
      this.connections.add(connection);
      own.add(connection);
      connection.closed.then(() => {
        this.connections.delete(connection);
        own.delete(connection);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address !== 'object') throw new Error('no address to serve on');
    return {
      url: `postgres://postgres:postgres@${host}:${address.port}/postgres`,
      stop: async () => {
        const closing = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const connection of own) connection.destroy();
        await Promise.all([...own].map((connection) => connection.closed));
        await closing;
      },
    };
  }

  /** Channels somebody other than `except` still listens on (for the repair after UNLISTEN). */
  channelsWanted(except: WireConnection): string[] {
    const wanted = new Set(this.inProcessChannels.names());
    for (const connection of this.connections) {
      if (connection !== except) for (const channel of connection.channels) wanted.add(channel);
    }
    return [...wanted];
  }
}

type Phase = 'startup' | 'ready' | 'closed';

class WireConnection {
  readonly channels = new Set<string>();
  readonly closed: Promise<void>;
  readonly #hub: WireHub;
  readonly #socket: Socket;
  readonly #prefix: string;
  readonly #statements = new Set<string>();
  #phase: Phase = 'startup';
  #buffer: Buffer = Buffer.alloc(0);
  #pumping = false;
  #release: (() => void) | null = null;
  /** Last ReadyForQuery status byte: 'I' idle, 'T' in transaction, 'E' failed transaction. */
  #status = 'I';
  /** Sent messages whose ReadyForQuery has not come back yet (an unfinished extended sequence). */
  #awaitingReady = false;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Channels a wire UNLISTEN may have taken from others: listened to again once idle. */
  #repairListens: Set<string> | '*' | null = null;
  #cleanedUp = false;
  #markClosed!: () => void;

  constructor(hub: WireHub, socket: Socket, id: number) {
    this.#hub = hub;
    this.#socket = socket;
    this.#prefix = `c${id}_`;
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      void this.#pump();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#phase = 'closed';
      void this.#pump();
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Delivers a NotificationResponse if this connection listens on `channel`. */
  notify(channel: string, payload: string): void {
    if (this.#phase !== 'ready' || !this.channels.has(channel)) return;
    const body = Buffer.concat([int32(0), cstring(channel), cstring(payload)]);
    this.#write(message('A', body));
  }

  /**
   * Handles everything buffered, one step at a time (never two at once for a connection, so its
   * messages keep their order), and cleans up once the socket has closed.
   */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#phase !== 'closed') {
        const progressed = this.#phase === 'startup' ? await this.#startupStep() : await this.#messagesStep();
        if (!progressed) break;
      }
      if (this.#phase === 'closed') await this.#cleanUp();
    } catch (error) {
      this.#fail(error);
      await this.#cleanUp();
    } finally {
      this.#pumping = false;
    }
    // Data or a close that arrived while a step was awaiting.
    if (this.#phase === 'closed' ? !this.#cleanedUp : this.#hasCompleteMessage()) void this.#pump();
  }

  async #startupStep(): Promise<boolean> {
    if (this.#buffer.length < 8) return false;
    const length = this.#buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_LENGTH) throw new Error('invalid startup packet');
    if (this.#buffer.length < length) return false;
    const packet = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    const code = packet.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      this.#write(Buffer.from('N')); // no encryption on a loopback socket
      return true;
    }
    if (code === CANCEL_REQUEST) {
      this.#socket.end(); // not supported: every wire connection shares one backend key
      return false;
    }
    // PGlite answers the StartupMessage itself (AuthenticationOk, ParameterStatus, BackendKeyData,
    // ReadyForQuery); it touches the session, so it runs under the lock like anything else.
    const output = await this.#hub.lock.run(() => this.#exec(packet));
    if (this.#phase !== 'startup') return false; // the client left meanwhile
    this.#phase = 'ready';
    this.#write(this.#outgoing(output));
    return true;
  }

  /** Runs every complete message buffered, as one batch, holding the lock as the protocol says. */
  async #messagesStep(): Promise<boolean> {
    const { batch, terminate } = this.#takeMessages();
    if (batch.length === 0 && !terminate) return false;
    if (batch.length > 0) {
      clearTimeout(this.#idleTimer);
      if (!this.#release) this.#release = await this.#acquire();
      if (this.#phase === 'closed') return false;
      const output = await this.#exec(Buffer.concat(batch));
      this.#write(this.#outgoing(output));
      await this.#afterBatch();
    }
    if (terminate) {
      this.#socket.end();
      this.#phase = 'closed';
    }
    return true;
  }

  /** Keeps or gives back the lock once a batch has run. */
  async #afterBatch(): Promise<void> {
    if (this.#awaitingReady || this.#status !== 'I') {
      this.#idleTimer = setTimeout(() => this.#timeOut(), this.#hub.options.idleInTransactionTimeoutMs);
      this.#idleTimer.unref();
      return;
    }
    if (this.#repairListens) await this.#relisten();
    this.#releaseLock();
  }

  /**
   * A wire UNLISTEN stops the one backend session listening, for everybody: listen again on the
   * channels that other connections and in-process listeners still want.
   */
  async #relisten(): Promise<void> {
    const removed = this.#repairListens;
    this.#repairListens = null;
    const again = this.#hub.channelsWanted(this).filter((name) => removed === '*' || removed?.has(name));
    if (again.length === 0) return;
    await this.#exec(simpleQuery(again.map((name) => `listen ${quoteIdentifier(name)}`).join('; ')));
  }

  #timeOut(): void {
    if (!this.#release || this.#phase !== 'ready') return;
    this.#write(
      errorResponse(
        '25P03',
        `terminating connection: it held the embedded database idle in a transaction for more than ${this.#hub.options.idleInTransactionTimeoutMs} ms`,
      ),
    );
    this.#socket.destroy();
  }

  /** The lock, plus PGlite's own query mutex so that stray direct `pglite.query` calls wait too. */
  async #acquire(): Promise<() => void> {
    const release = await this.#hub.lock.acquire();
    const releaseMutex = await new Promise<() => void>((granted) => {
      void this.#hub.pglite.runExclusive(() => new Promise<void>((done) => granted(done)));
    });
    return () => {
      releaseMutex();
      release();
    };
  }

  #releaseLock(): void {
    clearTimeout(this.#idleTimer);
    const release = this.#release;
    this.#release = null;
    release?.();
  }

  /** Leaves nothing behind: ends an unfinished sequence, rolls back, deallocates statements. */
  async #cleanUp(): Promise<void> {
    if (this.#cleanedUp) return;
    this.#cleanedUp = true;
    clearTimeout(this.#idleTimer);
    try {
      if (!this.#release && this.#statements.size > 0 && !this.#hub.pglite.closed) {
        this.#release = await this.#acquire();
      }
      if (this.#release && !this.#hub.pglite.closed) {
        if (this.#awaitingReady) await this.#exec(message('S', Buffer.alloc(0)));
        if (this.#status !== 'I') await this.#exec(simpleQuery('rollback'));
        if (this.#statements.size > 0) {
          const closes = [...this.#statements].map((name) =>
            message('C', Buffer.concat([Buffer.from('S'), cstring(name)])),
          );
          await this.#exec(Buffer.concat([...closes, message('S', Buffer.alloc(0))]));
          this.#statements.clear();
        }
        if (this.#repairListens) await this.#relisten();
      }
    } catch {
      // PGlite is closing: there is nothing left to clean.
    } finally {
      this.#releaseLock();
      this.channels.clear();
      this.#markClosed();
    }
  }

  #fail(error: unknown): void {
    this.#write(errorResponse('08P01', `embedded database: ${(error as Error).message ?? String(error)}`));
    this.#phase = 'closed';
    this.#socket.destroy();
  }

  async #exec(bytes: Buffer): Promise<Buffer> {
    const { data } = await this.#hub.pglite.execProtocol(new Uint8Array(bytes), { throwOnError: false });
    // `data` is a view of PGlite's reusable receive buffer: copy before anything else runs.
    return Buffer.from(data);
  }

  /**
   * Reads the backend's reply: records the last ReadyForQuery status and drops NotificationResponse
   * messages (they are routed per connection by the hub).
   */
  #outgoing(output: Buffer): Buffer {
    const kept: Buffer[] = [];
    let offset = 0;
    let start = 0;
    let sawReady = false;
    while (offset + 5 <= output.length) {
      const type = output[offset];
      const length = output.readInt32BE(offset + 1);
      const end = offset + 1 + length;
      if (end > output.length) break;
      if (type === 0x41 /* A */) {
        kept.push(output.subarray(start, offset));
        start = end;
      }
      if (type === 0x5a /* Z */) {
        this.#status = String.fromCharCode(output[offset + 5]!);
        sawReady = true;
      } else if (type !== 0x41) {
        sawReady = false;
      }
      offset = end;
    }
    // Only a reply that ends with ReadyForQuery closes the exchange; anything else (ParseComplete
    // for a Parse sent without Sync, CopyInResponse…) means the client still has the floor.
    if (sawReady) this.#awaitingReady = false;
    kept.push(output.subarray(start));
    return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
  }

  #hasCompleteMessage(): boolean {
    if (this.#phase === 'startup')
      return this.#buffer.length >= 8 && this.#buffer.length >= this.#buffer.readInt32BE(0);
    return this.#buffer.length >= 5 && this.#buffer.length >= 1 + this.#buffer.readInt32BE(1);
  }

  /**
   * Splits off every complete message, renaming statements and portals into this connection's
   * namespace and noting LISTEN/UNLISTEN. Terminate ('X') never reaches PGlite: in its single-user
   * backend it would end the one session everybody shares.
   */
  #takeMessages(): { batch: Buffer[]; terminate: boolean } {
    const batch: Buffer[] = [];
    let offset = 0;
    let terminate = false;
    while (offset + 5 <= this.#buffer.length) {
      const type = String.fromCharCode(this.#buffer[offset]!);
      const length = this.#buffer.readInt32BE(offset + 1);
      if (length < 4 || length > MAX_MESSAGE_LENGTH) throw new Error('invalid message length');
      const end = offset + 1 + length;
      if (end > this.#buffer.length) break;
      const body = this.#buffer.subarray(offset + 5, end);
      offset = end;
      if (type === 'X') {
        terminate = true;
        break;
      }
      batch.push(this.#frontend(type, body));
      // Cleared by the ReadyForQuery that answers it (see #outgoing).
      this.#awaitingReady = true;
    }
    this.#buffer = this.#buffer.subarray(offset);
    return { batch, terminate };
  }

  #frontend(type: string, body: Buffer): Buffer {
    switch (type) {
      case 'Q':
        this.#noteListens(readCString(body, 0).value);
        return message(type, body);
      case 'P': {
        const name = readCString(body, 0);
        this.#noteListens(readCString(body, name.next).value);
        if (name.value !== '') this.#statements.add(this.#rename(name.value));
        return message(type, Buffer.concat([cstring(this.#rename(name.value)), body.subarray(name.next)]));
      }
      case 'B': {
        const portal = readCString(body, 0);
        const statement = readCString(body, portal.next);
        return message(
          type,
          Buffer.concat([
            cstring(this.#rename(portal.value)),
            cstring(this.#rename(statement.value)),
            body.subarray(statement.next),
          ]),
        );
      }
      case 'E': {
        const portal = readCString(body, 0);
        return message(
          type,
          Buffer.concat([cstring(this.#rename(portal.value)), body.subarray(portal.next)]),
        );
      }
      case 'D':
      case 'C': {
        const kind = body.subarray(0, 1);
        const name = readCString(body, 1);
        const renamed = this.#rename(name.value);
        if (type === 'C' && kind.toString() === 'S') this.#statements.delete(renamed);
        return message(type, Buffer.concat([kind, cstring(renamed), body.subarray(name.next)]));
      }
      default:
        return message(type, body);
    }
  }

  #rename(name: string): string {
    return name === '' ? '' : this.#prefix + name;
  }

  /** Tracks this connection's channels from the SQL it sends (LISTEN x / UNLISTEN x / UNLISTEN *). */
  #noteListens(sql: string): void {
    if (!/listen/i.test(sql)) return;
    for (const statement of sql.split(';')) {
      const match = /^\s*(un)?listen\s+(\*|"(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*$/i.exec(statement);
      if (!match) continue;
      const target = match[2]!;
      if (!match[1]) {
        this.channels.add(channelName(target));
      } else if (target === '*') {
        this.channels.clear();
        this.#repairListens = '*';
      } else {
        const name = channelName(target);
        this.channels.delete(name);
        if (this.#repairListens === null) this.#repairListens = new Set([name]);
        else if (this.#repairListens !== '*') this.#repairListens.add(name);
      }
    }
  }

  #write(bytes: Buffer): void {
    if (bytes.length > 0 && this.#socket.writable) this.#socket.write(bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Protocol helpers

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function simpleQuery(sql: string): Buffer {
  return message('Q', cstring(sql));
}

function errorResponse(code: string, text: string): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cstring('FATAL'),
      Buffer.from('V'),
      cstring('FATAL'),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(text),
      Buffer.from([0]),
    ]),
  );
}

function cstring(value: string): Buffer {
  return Buffer.from(`${value}\0`, 'utf8');
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

function readCString(buffer: Buffer, offset: number): { value: string; next: number } {
  const end = buffer.indexOf(0, offset);
  if (end < 0) throw new Error('unterminated string in a protocol message');
  return { value: buffer.toString('utf8', offset, end), next: end + 1 };
}

/** The name Postgres gives a channel identifier: quoted keeps its case, unquoted folds to lower. */
function channelName(identifier: string): string {
  if (identifier.startsWith('"') && identifier.endsWith('"'))
    return identifier.slice(1, -1).replaceAll('""', '"');
  return identifier.toLowerCase();
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
