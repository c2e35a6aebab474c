import { afterEach, beforeAll, expect, it } from 'vitest';
import { linkSignalOrder, openPosition, order, signal, trader } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  advanceAsSystem,
  type Call,
  jobs,
  signedInUser,
  type Trader,
  type TradingApi,
  tradingApi,
  tradingRowCounts,
} from './support.ts';

describeOnEachBackend('trading API between two users', (database) => {
  let api: TradingApi;
  let call: Call;
  let alice: Trader;
  let bob: Trader;
  let aliceTrader: number;
  let aliceSignal: number;
  let aliceReady: number;
  let aliceOrder: number;
  let alicePosition: number;

  beforeAll(async () => {
    const db = database().db;
    api = await tradingApi(db);
    call = api.call;
    alice = await signedInUser(db);
    bob = await signedInUser(db);
    aliceTrader = await trader(db, alice.userId, alice.accountId, 'Alice trader');
    aliceSignal = await signal(db, alice.userId, aliceTrader);
    aliceReady = await signal(db, alice.userId, aliceTrader);
    await advanceAsSystem(db, aliceReady, 'analyzing', 'monitoring', 'ready');
    await db.query('update public.signals set requires_confirmation = true where id = $1', [aliceReady]);
    aliceOrder = await order(db, alice.userId, alice.accountId);
    await linkSignalOrder(db, alice.userId, aliceSignal, aliceOrder, 'entry');
    alicePosition = await openPosition(db, alice.userId, alice.accountId);
  });
  afterEach(() => expect(api.logLines).toEqual([]));

  it('shows Bob none of Alice’s signals, traders, orders or positions in his lists', async () => {
    for (const [path, key] of [
      ['/signals', 'signals'],
      ['/traders', 'traders'],
      ['/orders', 'orders'],
      ['/positions', 'positions'],
    ] as const) {
      const answer = await call('GET', path, { token: bob.token });
      expect(answer.status, path).toBe(200);
      expect(answer.body[key], path).toEqual([]);
    }
    const alices = await call('GET', '/signals', { token: alice.token });
    expect(alices.body.signals).toHaveLength(2);
  });

  it('answers Bob 404 for every request on Alice’s rows, and nothing changes', async () => {
    const db = database().db;
    const before = await tradingRowCounts(db);
    const signalsBefore = await db.query('select * from public.signals order by id');
    const tradersBefore = await db.query('select * from public.traders order by id');
    const attempts: [string, string, unknown, string][] = [
      ['GET', `/signals/${aliceSignal}`, undefined, `signal ${aliceSignal} not found`],
      ['POST', `/signals/${aliceSignal}/cancel`, undefined, `signal ${aliceSignal} not found`],
      ['POST', `/signals/${aliceReady}/confirm`, undefined, `signal ${aliceReady} not found`],
      [
        'POST',
        '/signals',
        { trader_id: aliceTrader, symbol: 'BTC/USDT', side: 'long' },
        `trader ${aliceTrader} not found`,
      ],
      ['GET', `/traders/${aliceTrader}`, undefined, `trader ${aliceTrader} not found`],
      ['PATCH', `/traders/${aliceTrader}`, { name: 'mine now' }, `trader ${aliceTrader} not found`],
      ['GET', `/risk-parameters?trader_id=${aliceTrader}`, undefined, `trader ${aliceTrader} not found`],
      [
        'PUT',
        `/risk-parameters?trader_id=${aliceTrader}`,
        { max_open_positions: 100 },
        `trader ${aliceTrader} not found`,
      ],
      [
        'POST',
        '/traders',
        { name: 'On Alice’s account', account_id: alice.accountId },
        `exchange account ${alice.accountId} not found`,
      ],
      [
        'PUT',
        '/trading-config',
        { default_account_id: alice.accountId },
        `exchange account ${alice.accountId} not found`,
      ],
      ['GET', `/orders/${aliceOrder}`, undefined, `order ${aliceOrder} not found`],
      ['GET', `/positions/${alicePosition}`, undefined, `position ${alicePosition} not found`],
    ];
    for (const [method, path, body, message] of attempts) {
      const answer = await call(method, path, { token: bob.token, body });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body, `${method} ${path}`).toEqual({ error: { code: 'not_found', message } });
    }
    expect(await tradingRowCounts(db)).toEqual(before);
    expect(await db.query('select * from public.signals order by id')).toEqual(signalsBefore);
    expect(await db.query('select * from public.traders order by id')).toEqual(tradersBefore);
  });

  it('answers Bob exactly as for rows that do not exist', async () => {
    const missing = await call('GET', '/signals/987654', { token: bob.token });
    const foreign = await call('GET', `/signals/${aliceSignal}`, { token: bob.token });
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
  });

  it('stops only Bob when Bob presses the emergency stop', async () => {
    const db = database().db;
    const answer = await call('POST', '/emergency-stop', { token: bob.token });
    expect(answer.status).toBe(200);
    expect(answer.body.emergency_stop).toMatchObject({ traders_halted: 0, signals_cancelled: 0 });
    const stopJobs = await jobs(db, 'emergency_stop');
    expect(stopJobs.map((job) => job.payload)).toEqual([{ owner: bob.userId }]);

    const aliceSwitch = await call('GET', '/kill-switch', { token: alice.token });
    expect(aliceSwitch.body.kill_switch.engaged).toBe(false);
    const aliceSignals = await call('GET', '/signals', { token: alice.token });
    expect(aliceSignals.body.signals.map((row: { status: string }) => row.status).sort()).toEqual([
      'new',
      'ready',
    ]);
    const aliceTraders = await call('GET', '/traders', { token: alice.token });
    expect(aliceTraders.body.traders[0]).toMatchObject({ halted: false, halted_until: null });
  });

  it('still lets Alice act on her own rows afterwards', async () => {
    const confirm = await call('POST', `/signals/${aliceReady}/confirm`, { token: alice.token });
    expect(confirm.status).toBe(200);
    const cancel = await call('POST', `/signals/${aliceSignal}/cancel`, { token: alice.token });
    expect(cancel.body.signal.status).toBe('cancelled');
    const orderDetail = await call('GET', `/orders/${aliceOrder}`, { token: alice.token });
    expect(orderDetail.body.order).toMatchObject({ id: aliceOrder, signal_id: aliceSignal, leg: 'entry' });
    expect(orderDetail.body.events.map((event: { to_status: string }) => event.to_status)).toEqual([
      'pending',
    ]);
    const position = await call('GET', `/positions/${alicePosition}?`, { token: alice.token });
    expect(position.body.position).toMatchObject({ id: alicePosition, status: 'open', amount: '0.5' });
  });
});
