/**
 * One embedded PGlite shared by in-process callers and many wire connections, one transaction
 * at a time (platform/db/pglite-multiplexer.ts).
 */
import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { openSharedPglite, type SharedPglite } from '../../../platform/db/pglite-multiplexer.ts';
import { connectPostgres } from '../../../shared/db/postgres-client.ts';
import type { SqlClient } from '../../../shared/db/sql.ts';
import { firstColumn, openRawWire, wire } from './raw-wire.ts';

const run = promisify(execFile);

let shared: SharedPglite;
let url: string;
const opened: Array<{ close(): Promise<void> }> = [];

/** A wire client closed after the file's tests. */
function client(options: { max?: number; prepare?: boolean } = {}): SqlClient {
  const db = connectPostgres(url, { max: options.max ?? 1, prepare: options.prepare });
  opened.push(db);
  return db;
}

function rawClient(): postgres.Sql {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  opened.push({ close: () => sql.end({ timeout: 1 }) });
  return sql;
}

const pause = () => sleep(Math.floor(Math.random() * 3));

beforeAll(async () => {
  shared = await openSharedPglite();
  await shared.db.exec(`
    create table counter (id int primary key, value int not null);
    create table notes (id serial primary key, body text not null);`);
  url = (await shared.serve(0)).url;
});

afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
  await shared.close();
});

beforeEach(async () => {
  await shared.db.exec(`
    delete from counter; insert into counter values (1, 0);
    delete from notes;`);
});

async function notes(): Promise<string[]> {
  const rows = await shared.db.query<{ body: string }>('select body from notes order by id');
  return rows.map((row) => row.body);
}

describe('transactions are exclusive', () => {
  it('concurrent read-modify-write transactions from three wire pools and in-process callers lose no increment', async () => {
    const callers = [client({ max: 4 }), client({ max: 4, prepare: true }), client({ max: 4 }), shared.db];
    const increment = (db: SqlClient) =>
      db.transaction(async (tx) => {
        const [row] = await tx.query<{ value: number }>('select value from counter where id = 1');
        await pause();
        await tx.query('update counter set value = $1 where id = 1', [row!.value + 1]);
        await pause();
      });
    const perWorker = 5;
    const workersPerCaller = 4;
    await Promise.all(
      callers.flatMap((db) =>
        Array.from({ length: workersPerCaller }, async () => {
          for (let i = 0; i < perWorker; i += 1) await increment(db);
        }),
      ),
    );

    const [counter] = await shared.db.query<{ value: number }>('select value from counter where id = 1');
    expect(counter!.value).toBe(callers.length * workersPerCaller * perWorker);
  });

  it('a transaction opened by one wire connection is invisible to every other caller until it commits', async () => {
    const writer = rawClient();
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const transaction = writer.begin(async (tx) => {
      await tx`insert into notes (body) values ('draft')`;
      inserted();
      await committed;
    });
    await insertedNow;

    const fromWire = client().query<{ body: string }>('select body from notes');
    const fromProcess = shared.db.query<{ body: string }>('select body from notes');
    const early = await Promise.race([fromWire.then(() => 'answered'), sleep(200).then(() => 'waiting')]);
    expect(early).toBe('waiting');

    commit();
    await transaction;
    expect(await fromWire).toEqual([{ body: 'draft' }]);
    expect(await fromProcess).toEqual([{ body: 'draft' }]);
  });

  it('a transaction rolled back over the wire leaves nothing for the callers that waited on it', async () => {
    const writer = rawClient();
    let inserted!: () => void;
    const insertedNow = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const transaction = writer.begin(async (tx) => {
      await tx`insert into notes (body) values ('abandoned')`;
      inserted();
      await sleep(100);
      throw new Error('changed my mind');
    });
    await insertedNow;
    const waiting = notes();
    await expect(transaction).rejects.toThrow('changed my mind');
    expect(await waiting).toEqual([]);
  });

  it('an in-process transaction holds off wire clients until it commits', async () => {
    const reader = client();
    let reading: Promise<unknown> | undefined;
    await shared.db.transaction(async (tx) => {
      await tx.query(`insert into notes (body) values ('in-process')`);
      reading = reader.query('select body from notes');
      const early = await Promise.race([reading.then(() => 'answered'), sleep(150).then(() => 'waiting')]);
      expect(early).toBe('waiting');
    });
    expect(await reading).toEqual([{ body: 'in-process' }]);
  });

  it('a statement sent through db instead of tx inside db.transaction is refused rather than deadlocking', async () => {
    await expect(
      shared.db.transaction(async (tx) => {
        await tx.query(`insert into notes (body) values ('inside')`);
        await shared.db.query('select body from notes');
      }),
    ).rejects.toThrow('use its tx');
    expect(await notes()).toEqual([]);
  });

  it('a bare BEGIN through db.query is rolled back, so it cannot swallow the next caller', async () => {
    await expect(shared.db.exec(`begin; insert into notes (body) values ('stray')`)).rejects.toThrow(
      'use db.transaction',
    );
    expect(await notes()).toEqual([]);
    expect(shared.pglite.isInTransaction()).toBe(false);
  });
});

describe('clients that go away', () => {
  it('psql killed in the middle of a transaction leaves nothing behind, and the others proceed', async () => {
    const psql = spawn('psql', [url, '-X', '-q', '-c', '\\set ECHO queries', '-f', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    psql.stdin.write(`begin;\ninsert into notes (body) values ('orphan');\nselect 'inserted' as marker;\n`);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      psql.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('inserted')) resolve();
      });
      psql.once('exit', (code) => reject(new Error(`psql exited early (${code}): ${output}`)));
    });
    psql.kill('SIGKILL');

    expect(await notes()).toEqual([]);
    await client().transaction(async (tx) => {
      await tx.query(`insert into notes (body) values ('after')`);
    });
    expect(await notes()).toEqual(['after']);
  });

  it('a connection that vanishes while holding the session in a transaction is rolled back', async () => {
    const raw = await openRawWire(url);
    const reply = await raw.send(wire.query(`begin; insert into notes (body) values ('vanished')`));
    expect(reply.at(-1)!.body.toString()).toBe('T');
    const waiting = notes();
    raw.kill();
    expect(await waiting).toEqual([]);
  });

  it('a connection idle in a transaction for too long is disconnected and rolled back', async () => {
    const impatient = await openSharedPglite(undefined, { idleInTransactionTimeoutMs: 300 });
    try {
      await impatient.db.exec('create table notes (body text)');
      const endpoint = await impatient.serve(0);
      const raw = await openRawWire(endpoint.url);
      await raw.send(wire.query(`begin; insert into notes (body) values ('stuck')`));
      const started = Date.now();
      expect(await impatient.db.query('select body from notes')).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await impatient.close();
    }
  });
});

describe('protocols', () => {
  it('answers the extended protocol (prepared statements) and the simple protocol alike', async () => {
    const prepared = client({ max: 2, prepare: true });
    const unnamed = client({ max: 2 });
    for (const db of [prepared, prepared, unnamed]) {
      expect(await db.query('select $1::int + 1 as n', [41])).toEqual([{ n: 42 }]);
    }
    await unnamed.exec(`insert into notes (body) values ('a'); insert into notes (body) values ('b')`);
    expect(await notes()).toEqual(['a', 'b']);
  });

  it('two connections may give their prepared statements the same name, and each keeps its own', async () => {
    const first = await openRawWire(url);
    const second = await openRawWire(url);
    const execute = (name: string) => [wire.bind(name), wire.execute(), wire.sync()];
    expect(firstColumn(await first.send(wire.parse('same', 'select 1'), ...execute('same')))).toEqual(['1']);
    expect(firstColumn(await second.send(wire.parse('same', 'select 2'), ...execute('same')))).toEqual(['2']);
    expect(firstColumn(await first.send(...execute('same')))).toEqual(['1']);

    first.kill();
    second.kill();
    await vi.waitFor(async () => {
      const statements = await shared.db.query<{ name: string }>('select name from pg_prepared_statements');
      expect(statements.filter((s) => s.name.endsWith('_same'))).toEqual([]);
    });
  });

  it('psql runs a command', async () => {
    const { stdout } = await run('psql', [url, '-X', '-At', '-c', 'select 1']);
    expect(stdout.trim()).toBe('1');
  });
});

describe('LISTEN and NOTIFY', () => {
  it('a notification reaches the wire connections and in-process listeners of its channel, whoever raises it', async () => {
    const received: string[] = [];
    const listener = rawClient();
    await listener.listen('fills', (payload) => received.push(`wire got ${payload}`));
    const stop = await shared.listen('fills', (payload) => received.push(`process got ${payload}`));
    // Another wire client that listens, then stops: the session must keep listening for the others.
    const quitter = rawClient();
    const { unlisten } = await quitter.listen('fills', (payload) => received.push(`quitter got ${payload}`));
    await unlisten();

    await shared.db.query(`select pg_notify('fills', 'from process')`);
    await client().query(`select pg_notify('fills', 'from wire')`);

    await vi.waitFor(() =>
      expect(received.sort()).toEqual([
        'process got from process',
        'process got from wire',
        'wire got from process',
        'wire got from wire',
      ]),
    );
    await stop();
  });
});
