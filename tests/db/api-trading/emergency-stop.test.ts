import { afterEach, beforeAll, expect, it } from 'vitest';
import { signal, trader } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  advanceAsSystem,
  type Call,
  finishJobs,
  jobs,
  signedInUser,
  type Trader,
  type TradingApi,
  tradingApi,
} from './support.ts';

// How the risk engine words a daily-loss halt (shared/risk/halt.ts).
const DAILY_LOSS = "daily realised loss 120 reached the trader's limit of 100";

describeOnEachBackend('emergency stop API', (database) => {
  let api: TradingApi;
  let call: Call;
  let alice: Trader;
  let traders: number[];
  let pending: number[];
  let inPosition: number;
  let rejected: number;

  beforeAll(async () => {
    const db = database().db;
    api = await tradingApi(db);
    call = api.call;
    alice = await signedInUser(db);
    traders = [
      await trader(db, alice.userId, alice.accountId, 'Scalper'),
      await trader(db, alice.userId, alice.accountId, 'Swing'),
    ];
    pending = [];
    for (const statuses of [
      [],
      ['analyzing'],
      ['analyzing', 'monitoring'],
      ['analyzing', 'monitoring', 'ready'],
    ]) {
      const id = await signal(db, alice.userId, traders[0]!);
      await advanceAsSystem(db, id, ...statuses);
      pending.push(id);
    }
    inPosition = await signal(db, alice.userId, traders[1]!);
    await advanceAsSystem(db, inPosition, 'analyzing', 'monitoring', 'ready', 'in_position');
    rejected = await signal(db, alice.userId, traders[1]!);
    await advanceAsSystem(db, rejected, 'rejected');
  });
  afterEach(() => expect(api.logLines).toEqual([]));

  it('engages the kill switch, halts every trader, cancels pending signals and enqueues the close-out', async () => {
    const db = database().db;
    const answer = await call('POST', '/emergency-stop', {
      token: alice.token,
      body: { reason: 'flash crash' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.emergency_stop).toMatchObject({
      reason: 'flash crash',
      kill_switch_engaged: true,
      kill_switch_newly_engaged: true,
      traders_halted: 2,
      signals_cancelled: 4,
      job_enqueued: true,
    });

    const killSwitch = await call('GET', '/kill-switch', { token: alice.token });
    expect(killSwitch.body.kill_switch).toMatchObject({
      engaged: true,
      reason: 'flash crash',
      engaged_by: `user:${alice.userId}`,
    });
    expect(killSwitch.body.kill_switch.halted_traders.map((t: { id: number }) => t.id)).toEqual(traders);

    const listed = await call('GET', '/traders', { token: alice.token });
    for (const row of listed.body.traders) {
      expect(row).toMatchObject({
        halted: true,
        halted_until: 'infinity',
        halt_reason: 'emergency stop: flash crash',
      });
    }

    const job = await jobs(db, 'emergency_stop');
    expect(job).toEqual([
      {
        id: answer.body.emergency_stop.job_id,
        payload: { owner: alice.userId },
        dedupe_key: `emergency_stop:${alice.userId}`,
      },
    ]);
    const alerts = await db.query('select severity, kind, message from public.alerts where owner = $1', [
      alice.userId,
    ]);
    expect(alerts).toEqual([
      {
        severity: 'critical',
        kind: 'emergency_stop',
        message:
          'Emergency stop (flash crash): 2 trader(s) halted, 4 signal(s) cancelled; open orders are being cancelled and positions closed at market.',
      },
    ]);
  });

  it('cancels each pending signal with an event by the user, and leaves signals in position to the worker', async () => {
    for (const id of pending) {
      const detail = await call('GET', `/signals/${id}`, { token: alice.token });
      expect(detail.body.signal).toMatchObject({ status: 'cancelled', status_reason: 'flash crash' });
      expect(detail.body.events.at(-1)).toMatchObject({
        to_status: 'cancelled',
        actor: `user:${alice.userId}`,
        reason: 'flash crash',
        context: { via: 'emergency_stop' },
      });
    }
    const open = await call('GET', `/signals/${inPosition}`, { token: alice.token });
    expect(open.body.signal.status).toBe('in_position');
    const done = await call('GET', `/signals/${rejected}`, { token: alice.token });
    expect(done.body.signal.status).toBe('rejected');
  });

  it('is idempotent: pressing again changes nothing, enqueues no second job and writes no second alert', async () => {
    const db = database().db;
    const firstJob = await jobs(db, 'emergency_stop');
    const answer = await call('POST', '/emergency-stop', { token: alice.token });
    expect(answer.status).toBe(200);
    expect(answer.body.emergency_stop).toMatchObject({
      kill_switch_engaged: true,
      kill_switch_newly_engaged: false,
      traders_halted: 0,
      signals_cancelled: 0,
      job_id: firstJob[0]!.id,
      job_enqueued: false,
      alert_id: null,
    });
    expect(await jobs(db, 'emergency_stop')).toEqual(firstJob);
    const alerts = await db.query<{ n: number }>(
      'select count(*)::int as n from public.alerts where owner = $1',
      [alice.userId],
    );
    expect(alerts[0]!.n).toBe(1);
    const events = await db.query<{ n: number }>(
      `select count(*)::int as n from public.signal_events where signal_id = any($1::bigint[]) and to_status = 'cancelled'`,
      [pending],
    );
    expect(events[0]!.n).toBe(pending.length);
  });

  it('refuses new signals while the kill switch is engaged', async () => {
    const answer = await call('POST', '/signals', {
      token: alice.token,
      body: { trader_id: traders[0], symbol: 'BTC/USDT', side: 'long' },
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('kill_switch_engaged');
  });

  it('will not release the kill switch while the close-out job still waits or runs', async () => {
    const answer = await call('POST', '/kill-switch/release', { token: alice.token });
    expect(answer.status).toBe(409);
    expect(answer.body.error.message).toMatch(/still cancelling orders and closing positions/);
    const state = await call('GET', '/kill-switch', { token: alice.token });
    expect(state.body.kill_switch.engaged).toBe(true);
  });

  it('releases the kill switch and the emergency halts, but never a daily-loss halt', async () => {
    const db = database().db;
    await finishJobs(db, 'emergency_stop');
    // Meanwhile the risk engine halted the second trader for a daily loss, until tomorrow.
    await db.query(
      `update public.traders set halted_until = now() + interval '1 day', halt_reason = $2
        where id = $1`,
      [traders[1], DAILY_LOSS],
    );
    const answer = await call('POST', '/kill-switch/release', { token: alice.token });
    expect(answer.status).toBe(200);
    expect(answer.body.kill_switch_release).toEqual({ kill_switch_released: true, traders_resumed: 1 });

    const [resumed, riskHalted] = await Promise.all(
      traders.map(async (id) => (await call('GET', `/traders/${id}`, { token: alice.token })).body.trader),
    );
    expect(resumed).toMatchObject({ halted: false, halted_until: null, halt_reason: null });
    expect(riskHalted).toMatchObject({ halted: true, halt_reason: DAILY_LOSS });
    expect(riskHalted.halted_until).not.toBe('infinity');

    const again = await call('POST', '/kill-switch/release', { token: alice.token });
    expect(again.body.kill_switch_release).toEqual({ kill_switch_released: false, traders_resumed: 0 });
  });

  it('leaves a trader under a daily-loss halt as it is when stopping again, so a release cannot lift it', async () => {
    const db = database().db;
    const answer = await call('POST', '/emergency-stop', { token: alice.token });
    expect(answer.body.emergency_stop).toMatchObject({ kill_switch_newly_engaged: true, traders_halted: 1 });
    const riskHalted = await call('GET', `/traders/${traders[1]}`, { token: alice.token });
    expect(riskHalted.body.trader.halt_reason).toBe(DAILY_LOSS);
    await finishJobs(db, 'emergency_stop');
    await call('POST', '/kill-switch/release', { token: alice.token });
    const still = await call('GET', `/traders/${traders[1]}`, { token: alice.token });
    expect(still.body.trader).toMatchObject({ halted: true, halt_reason: DAILY_LOSS });
  });

  it('does everything once when pressed twice at the same moment', async () => {
    const db = database().db;
    const carol = await signedInUser(db);
    const carolTrader = await trader(db, carol.userId, carol.accountId);
    const carolSignal = await signal(db, carol.userId, carolTrader);
    const [first, second] = await Promise.all([
      call('POST', '/emergency-stop', { token: carol.token }),
      call('POST', '/emergency-stop', { token: carol.token }),
    ]);
    const results = [first!.body.emergency_stop, second!.body.emergency_stop];
    expect(results.map((result) => result.traders_halted).sort()).toEqual([0, 1]);
    expect(results.map((result) => result.signals_cancelled).sort()).toEqual([0, 1]);
    expect(results[0].job_id).toBe(results[1].job_id);
    const stopJobs = await jobs(db, 'emergency_stop');
    expect(stopJobs.filter((job) => job.dedupe_key === `emergency_stop:${carol.userId}`)).toHaveLength(1);
    const events = await db.query(
      `select actor from public.signal_events where signal_id = $1 and to_status = 'cancelled'`,
      [carolSignal],
    );
    expect(events).toEqual([{ actor: `user:${carol.userId}` }]);
    const alerts = await db.query('select kind from public.alerts where owner = $1', [carol.userId]);
    expect(alerts).toEqual([{ kind: 'emergency_stop' }]);
  });

  it('lets the SQL function act only for a signed-in user', async () => {
    const db = database().db;
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`select set_config('role', 'authenticated', true)`);
        await tx.query('select public.emergency_stop()');
      }),
    ).rejects.toThrow(/emergency stop: no signed-in user/);
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`select set_config('role', 'anon', true)`);
        await tx.query('select public.emergency_stop()');
      }),
    ).rejects.toThrow(/permission denied/);
  });
});
