import { afterEach, beforeAll, expect, it } from 'vitest';
import { linkSignalOrder, openPosition, order } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  advanceAsSystem,
  type Call,
  jobs,
  signedInUser,
  type Trader,
  type TradingApi,
  tradingApi,
} from './support.ts';

describeOnEachBackend('signals API', (database) => {
  let api: TradingApi;
  let call: Call;
  let alice: Trader;
  let traderId: number;

  beforeAll(async () => {
    api = await tradingApi(database().db);
    call = api.call;
    alice = await signedInUser(database().db);
    const created = await call('POST', '/traders', {
      token: alice.token,
      body: { name: 'Momentum', account_id: alice.accountId },
    });
    expect(created.status).toBe(201);
    traderId = created.body.trader.id;
  });
  afterEach(() => expect(api.logLines).toEqual([]));

  async function newSignal(body: Record<string, unknown> = {}): Promise<number> {
    const answer = await call('POST', '/signals', {
      token: alice.token,
      body: { trader_id: traderId, symbol: 'BTC/USDT', side: 'long', ...body },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.signal.id;
  }

  it('creates a signal in status new, with levels as decimal strings, and enqueues its analysis', async () => {
    const answer = await call('POST', '/signals', {
      token: alice.token,
      body: {
        trader_id: traderId,
        symbol: 'eth/usdt',
        side: 'long',
        entry_price: '2000.5',
        stop_loss: 1900,
        take_profit: '2200',
        timeframe: '1h',
        note: 'breakout',
      },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.signal).toMatchObject({
      trader_id: traderId,
      symbol: 'ETH/USDT',
      side: 'long',
      status: 'new',
      entry_price: '2000.5',
      stop_loss: '1900',
      take_profit: '2200',
      timeframe: '1h',
      note: 'breakout',
      requires_confirmation: false,
      confirmed_at: null,
    });
    expect(answer.body.signal.owner).toBeUndefined();
    expect(new Date(answer.body.signal.expires_at).getTime()).toBeGreaterThan(Date.now());
    const analyse = await jobs(database().db, 'analyse');
    expect(analyse.map((job) => job.payload)).toContainEqual({ signal_id: answer.body.signal.id });
  });

  it('lists the signals newest first, filtered by status and trader, a page at a time', async () => {
    const first = await newSignal();
    const second = await newSignal({ side: 'short' });
    const all = await call('GET', `/signals?trader_id=${traderId}&status=new`, { token: alice.token });
    expect(all.status).toBe(200);
    const ids = all.body.signals.map((signal: { id: number }) => signal.id);
    expect(ids.slice(0, 2)).toEqual([second, first]);
    expect(all.body.next_cursor).toBeNull();

    const pageOne = await call('GET', '/signals?limit=1', { token: alice.token });
    expect(pageOne.body.signals.map((signal: { id: number }) => signal.id)).toEqual([second]);
    expect(pageOne.body.next_cursor).toBe(second);
    const pageTwo = await call('GET', `/signals?limit=1&cursor=${second}`, { token: alice.token });
    expect(pageTwo.body.signals.map((signal: { id: number }) => signal.id)).toEqual([first]);

    const none = await call('GET', '/signals?status=closed', { token: alice.token });
    expect(none.body.signals).toEqual([]);
  });

  it('shows one signal with its audit trail, snapshots, orders by leg and position', async () => {
    const db = database().db;
    const id = await newSignal();
    await advanceAsSystem(db, id, 'analyzing', 'monitoring');
    await db.query(
      `insert into public.signal_monitoring_snapshots (owner, signal_id, decision, price, inputs)
       values ($1, $2, 'ready', '100', '{"rsi": 28}')`,
      [alice.userId, id],
    );
    await advanceAsSystem(db, id, 'ready', 'in_position');
    const entry = await order(db, alice.userId, alice.accountId, { amount: '0.5' });
    await linkSignalOrder(db, alice.userId, id, entry, 'entry');
    const position = await openPosition(db, alice.userId, alice.accountId, 'SOL/USDT');
    await db.query(
      'insert into public.signal_positions (owner, signal_id, position_id) values ($1, $2, $3)',
      [alice.userId, id, position],
    );

    const answer = await call('GET', `/signals/${id}`, { token: alice.token });
    expect(answer.status).toBe(200);
    expect(answer.body.signal).toMatchObject({ id, status: 'in_position' });
    expect(answer.body.events.map((event: { to_status: string }) => event.to_status)).toEqual([
      'new',
      'analyzing',
      'monitoring',
      'ready',
      'in_position',
    ]);
    expect(answer.body.events[0].actor).toBe(`user:${alice.userId}`);
    expect(answer.body.events[1].actor).toBe('worker:test');
    expect(answer.body.snapshots).toMatchObject([{ decision: 'ready', price: '100', inputs: { rsi: 28 } }]);
    expect(answer.body.orders.entry).toMatchObject([
      { id: entry, leg: 'entry', signal_id: id, amount: '0.5' },
    ]);
    expect(answer.body.orders.stop_loss).toEqual([]);
    expect(answer.body.position).toMatchObject({ id: position, status: 'open', signal_ids: [id] });
  });

  it('cancels a signal that has no position yet, audited as the user, and says so again when repeated', async () => {
    const id = await newSignal();
    await advanceAsSystem(database().db, id, 'analyzing');
    const answer = await call('POST', `/signals/${id}/cancel`, {
      token: alice.token,
      body: { reason: 'changed my mind' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.signal).toMatchObject({ id, status: 'cancelled', status_reason: 'changed my mind' });
    const again = await call('POST', `/signals/${id}/cancel`, { token: alice.token });
    expect(again.status).toBe(200);
    expect(again.body.signal.status_reason).toBe('changed my mind');

    const detail = await call('GET', `/signals/${id}`, { token: alice.token });
    expect(detail.body.events.at(-1)).toMatchObject({
      from_status: 'analyzing',
      to_status: 'cancelled',
      actor: `user:${alice.userId}`,
      reason: 'changed my mind',
    });
    expect(
      detail.body.events.filter((event: { to_status: string }) => event.to_status === 'cancelled'),
    ).toHaveLength(1);
  });

  it('refuses to cancel a signal that is in position, with 409', async () => {
    const id = await newSignal();
    await advanceAsSystem(database().db, id, 'analyzing', 'monitoring', 'ready', 'in_position');
    const answer = await call('POST', `/signals/${id}/cancel`, { token: alice.token });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      code: 'not_cancellable',
      message: `signal ${id} is in_position: it can no longer be cancelled (the emergency stop closes open positions)`,
    });
  });

  it('confirms a large trade waiting in ready: confirmed_at is set and execute is enqueued once', async () => {
    const db = database().db;
    const id = await newSignal();
    await advanceAsSystem(db, id, 'analyzing', 'monitoring', 'ready');
    // The execute job the workflow enqueued ran and held the entry back as a large trade.
    await db.query(`delete from queue.jobs where kind = 'execute'`);
    await db.query('update public.signals set requires_confirmation = true where id = $1', [id]);

    const answer = await call('POST', `/signals/${id}/confirm`, { token: alice.token });
    expect(answer.status).toBe(200);
    expect(answer.body.signal).toMatchObject({ id, status: 'ready', requires_confirmation: true });
    expect(answer.body.signal.confirmed_at).not.toBeNull();
    const execute = await jobs(db, 'execute');
    expect(execute).toEqual([
      {
        id: answer.body.execute_job_id,
        payload: { signal_id: id },
        dedupe_key: `signal:${id}:execute:confirmed`,
      },
    ]);

    const again = await call('POST', `/signals/${id}/confirm`, { token: alice.token });
    expect(again.status).toBe(200);
    expect(again.body.signal.confirmed_at).toBe(answer.body.signal.confirmed_at);
    expect(await jobs(db, 'execute')).toHaveLength(1);
  });

  it('is not swallowed by an execute job that is still running when the user confirms', async () => {
    const db = database().db;
    const id = await newSignal();
    await advanceAsSystem(db, id, 'analyzing', 'monitoring', 'ready');
    await db.query(`delete from queue.jobs where kind = 'execute'`);
    await db.query(`select queue.enqueue('execute', $1::jsonb, $2)`, [
      { signal_id: id },
      `signal:${id}:execute`,
    ]);
    await db.query(`select * from queue.claim('worker-deciding', 10, '60 seconds', array['execute'])`);
    await db.query('update public.signals set requires_confirmation = true where id = $1', [id]);

    const answer = await call('POST', `/signals/${id}/confirm`, { token: alice.token });
    expect(answer.status).toBe(200);
    const statuses = await db.query<{ status: string }>(
      `select status from queue.jobs where kind = 'execute' and payload->>'signal_id' = $1 order by id`,
      [String(id)],
    );
    expect(statuses.map((row) => row.status)).toEqual(['running', 'queued']);
  });

  it('refuses to confirm a signal that is not waiting for confirmation, with 409', async () => {
    const id = await newSignal();
    const answer = await call('POST', `/signals/${id}/confirm`, { token: alice.token });
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toBe(
      `signal ${id}: nothing to confirm (status new, no confirmation required)`,
    );
    const signal = await call('GET', `/signals/${id}`, { token: alice.token });
    expect(signal.body.signal.confirmed_at).toBeNull();
  });

  it('refuses a symbol outside the trader’s allowed symbols with 422, storing nothing', async () => {
    const restricted = await call('POST', '/traders', {
      token: alice.token,
      body: { name: 'BTC only', account_id: alice.accountId, allowed_symbols: ['BTC/USDT'] },
    });
    const before = await database().db.query('select count(*)::int as n from public.signals');
    const answer = await call('POST', '/signals', {
      token: alice.token,
      body: { trader_id: restricted.body.trader.id, symbol: 'ETH/USDT', side: 'long' },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.error).toEqual({
      code: 'symbol_not_allowed',
      message: `trader ${restricted.body.trader.id} trades only BTC/USDT; ETH/USDT is not among them`,
    });
    expect(await database().db.query('select count(*)::int as n from public.signals')).toEqual(before);
    const allowed = await call('POST', '/signals', {
      token: alice.token,
      body: { trader_id: restricted.body.trader.id, symbol: 'btc/usdt', side: 'short' },
    });
    expect(allowed.status).toBe(201);
  });
});
