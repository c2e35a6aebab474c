import { beforeAll, expect, it } from 'vitest';
import { asUser } from '../../shared/db/sql.ts';
import { liveAccount, seedEveryTable, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

/** Shared market data, readable by every signed-in user by design. */
const SHARED_TABLES = new Set(['candles']);

describeOnEachBackend('row level security', (database) => {
  let alice: string;
  let bob: string;
  let publicTables: string[];

  beforeAll(async () => {
    const { db } = database();
    alice = await createUser(db);
    bob = await createUser(db);
    await seedEveryTable(db, alice);
    const rows = await db.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`,
    );
    publicTables = rows.map((row) => row.name);
  });

  it('has row level security enabled on every public table', async () => {
    const rows = await database().db.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity`,
    );
    expect(publicTables.length).toBeGreaterThanOrEqual(19);
    expect(rows).toEqual([]);
  });

  it('lets the owner read her own row in every user table', async () => {
    for (const table of publicTables.filter((t) => !SHARED_TABLES.has(t))) {
      const rows = await asUser(database().db, alice, (tx) =>
        tx.query<{ n: number }>(`select count(*)::int as n from public.${table}`),
      );
      expect({ table, visible: rows[0]!.n }).toEqual({ table, visible: 1 });
    }
  });

  it("shows user B none of user A's rows in any public table", async () => {
    for (const table of publicTables.filter((t) => !SHARED_TABLES.has(t))) {
      const rows = await asUser(database().db, bob, (tx) =>
        tx.query<{ n: number }>(`select count(*)::int as n from public.${table}`),
      );
      expect({ table, visible: rows[0]!.n }).toEqual({ table, visible: 0 });
    }
  });

  it('gives anon no access to any public table', async () => {
    for (const table of publicTables) {
      const attempt = database().db.transaction(async (tx) => {
        await tx.query(`select set_config('role', 'anon', true)`);
        return tx.query(`select 1 from public.${table} limit 1`);
      });
      await expect(attempt, table).rejects.toThrow(/permission denied/);
    }
  });

  it("refuses user B's attempts to create rows owned by user A", async () => {
    const { db } = database();
    const attempts: Array<[string, string, unknown[]]> = [
      ['traders', `insert into public.traders (owner, name) values ($1, 'stolen')`, [alice]],
      ['trading_config', `insert into public.trading_config (owner) values ($1)`, [alice]],
      [
        'risk_parameters',
        `insert into public.risk_parameters (owner, max_open_positions) values ($1, 9)`,
        [alice],
      ],
      ['kill_switches', `insert into public.kill_switches (owner, engaged) values ($1, false)`, [alice]],
      ['strategies', `insert into public.strategies (owner, name, kind) values ($1, 'x', 'dca')`, [alice]],
      ['exchange_accounts', `insert into public.exchange_accounts (owner, label) values ($1, 'x')`, [alice]],
    ];
    for (const [table, text, params] of attempts) {
      await expect(
        asUser(db, bob, (tx) => tx.query(text, params)),
        table,
      ).rejects.toThrow(/row-level security|permission denied/);
    }
  });

  it("refuses a signal that user B points at user A's trader", async () => {
    const { db } = database();
    const alicesTrader = (
      await db.query<{ id: number }>('select id from public.traders where owner = $1', [alice])
    )[0]!.id;
    await expect(
      asUser(db, bob, (tx) =>
        tx.query(`insert into public.signals (trader_id, symbol, side) values ($1, 'BTC/USDT', 'long')`, [
          alicesTrader,
        ]),
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it("changes nothing when user B updates or deletes user A's rows", async () => {
    const { db } = database();
    const updated = await asUser(db, bob, (tx) =>
      tx.query(`update public.traders set name = 'renamed' where owner = $1 returning id`, [alice]),
    );
    const deleted = await asUser(db, bob, (tx) =>
      tx.query(`delete from public.strategies where owner = $1 returning id`, [alice]),
    );
    expect(updated).toEqual([]);
    expect(deleted).toEqual([]);
    const names = await db.query<{ name: string }>('select name from public.traders where owner = $1', [
      alice,
    ]);
    expect(names.map((row) => row.name)).toEqual(['Trader']);
  });

  it('lets a user create a trader and a signal of her own, owned by her', async () => {
    const { db } = database();
    const created = await asUser(db, bob, async (tx) => {
      const [account] = await tx.query<{ id: number }>(
        `insert into public.exchange_accounts (label) values ('Bob paper') returning id`,
      );
      const [bobsTrader] = await tx.query<{ id: number }>(
        `insert into public.traders (name, account_id) values ('Bob', $1) returning id`,
        [account!.id],
      );
      return tx.query<{ owner: string; status: string }>(
        `insert into public.signals (trader_id, symbol, side) values ($1, 'ETH/USDT', 'short') returning owner, status`,
        [bobsTrader!.id],
      );
    });
    expect(created).toEqual([{ owner: bob, status: 'new' }]);
  });

  it('never lets the owner select or change exchange credential columns', async () => {
    const { db } = database();
    const owner = await createUser(db);
    const accountId = await liveAccount(db, owner);
    for (const column of [
      'api_key_ciphertext',
      'api_secret_ciphertext',
      'api_password_ciphertext',
      'key_salt',
    ]) {
      await expect(
        asUser(db, owner, (tx) =>
          tx.query(`select ${column} from public.exchange_accounts where id = $1`, [accountId]),
        ),
        column,
      ).rejects.toThrow(/permission denied/);
      await expect(
        asUser(db, owner, (tx) =>
          tx.query(`update public.exchange_accounts set ${column} = 'x' where id = $1`, [accountId]),
        ),
        column,
      ).rejects.toThrow(/permission denied/);
    }
    const visible = await asUser(db, owner, (tx) =>
      tx.query('select id, key_suffix, mode from public.exchange_accounts where id = $1', [accountId]),
    );
    expect(visible).toEqual([{ id: accountId, key_suffix: '••••1a2b', mode: 'live' }]);
  });

  it('does not let a user lift a halt on her trader', async () => {
    const { db } = database();
    const owner = await createUser(db);
    const traderId = await trader(db, owner, await liveAccount(db, owner));
    await expect(
      asUser(db, owner, (tx) =>
        tx.query('update public.traders set halted_until = null where id = $1', [traderId]),
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it('does not let a user add orders, fills, positions or audit rows', async () => {
    const { db } = database();
    const owner = await createUser(db);
    const accountId = await liveAccount(db, owner);
    const signalId = await signal(db, owner, await trader(db, owner, accountId));
    const attempts = [
      `insert into public.orders (account_id, client_order_id, symbol, side, type, amount)
       values (${accountId}, 'mine-1', 'BTC/USDT', 'buy', 'market', 1)`,
      `insert into public.signal_events (signal_id, owner, to_status, actor) values (${signalId}, '${owner}', 'ready', 'me')`,
      `insert into public.positions (owner, account_id, symbol, side) values ('${owner}', ${accountId}, 'BTC/USDT', 'long')`,
    ];
    for (const text of attempts) {
      await expect(asUser(db, owner, (tx) => tx.query(text))).rejects.toThrow(/permission denied/);
    }
  });
});
