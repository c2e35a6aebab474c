import { expect, it } from 'vitest';
import { placeOrder } from '../../../shared/exchange/placement.ts';
import { prepareEntry } from '../../../shared/risk/index.ts';
import { advanceSignal } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  closedSignal,
  engageKillSwitch,
  entryOrders,
  riskSetup,
  setRiskParameters,
  unreachableExchange,
} from './support.ts';

const noWait = { sleep: async () => {} };

describeOnEachBackend('preparing an entry', (database) => {
  it('plans a market buy of 100 USDT of BTC at the ask: 0.00499 BTC, attempt 1 of the signal’s entry', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await prepareEntry(db, setup.exchange, signalId, Date.now());
    // ask = 20000 + one tick; 100 / 20000.01 = 0.0049999975… → 0.00499 at the step 0.00001;
    // the 0.1 % fee taken in BTC leaves 0.00498501, of which 0.00000501 is below the step
    expect(plan).toEqual({
      kind: 'place',
      notional: '99.8000499',
      referencePrice: '20000.01',
      dust: { amount: '0.00000501', notional: '0.1002000501' },
      intent: {
        intentId: signalId,
        leg: 'entry',
        attempt: 1,
        owner: setup.owner,
        accountId: setup.accountId,
        signalId,
        symbol: 'BTC/USDT',
        side: 'buy',
        type: 'market',
        amount: '0.00499',
      },
    });
  });

  it('sizes by risk from the paper account’s equity: 1 % of 10 000 over a 1 000 stop distance is 0.1 BTC', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_rule: 'risk_percent', sizing_value: '1' });
    const signalId = await setup.readySignal({ entryPrice: '20000', stopLoss: '19000', takeProfit: '23000' });
    const plan = await prepareEntry(db, setup.exchange, signalId, Date.now());
    expect(plan).toMatchObject({ kind: 'place', notional: '2000', intent: { amount: '0.1' } });
  });

  it('refuses while the user’s kill switch is engaged, without asking the exchange', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    await engageKillSwitch(db, setup.owner, null, 'emergency stop');
    const plan = await prepareEntry(db, unreachableExchange, signalId, Date.now());
    expect(plan).toMatchObject({
      kind: 'reject',
      reasons: ["The user's kill switch is engaged (emergency stop); no new entries."],
    });
  });

  it('refuses while the trader is halted without an end (the emergency stop’s infinity halt)', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    await db.query(
      `update public.traders set halted_until = 'infinity', halt_reason = 'emergency stop' where id = $1`,
      [setup.traderId],
    );
    const plan = await prepareEntry(db, unreachableExchange, signalId, Date.now());
    expect(plan).toMatchObject({ kind: 'reject' });
    expect(plan.kind === 'reject' && plan.reasons.join(' ')).toContain(
      'is halted until further notice (emergency stop)',
    );
  });

  it('counts an in-position signal and a live entry order against max positions', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { max_positions: 2 });
    const first = await setup.readySignal({ symbol: 'ETH/USDT' });
    await advanceSignal(db, first, 'in_position');
    const second = await setup.readySignal();
    const placed = await prepareEntry(db, setup.exchange, second, Date.now());
    if (placed.kind !== 'place') throw new Error(`expected a plan, got ${placed.kind}`);
    // A resting order would do as well: what counts is a live or freshly filled entry.
    await placeOrder(db, setup.exchange, placed.intent, noWait);

    const third = await setup.readySignal({ symbol: 'SOL/USDT' });
    const plan = await prepareEntry(db, unreachableExchange, third, Date.now());
    expect(plan).toMatchObject({ kind: 'reject', violations: [{ rule: 'max_positions' }] });
    expect(plan.kind === 'reject' && plan.reasons[0]).toMatch(
      /already has 2 open or opening positions; its limit is 2/,
    );
  });

  it('refuses a second entry on a symbol the account already trades', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const first = await setup.readySignal();
    const plan = await prepareEntry(db, setup.exchange, first, Date.now());
    if (plan.kind !== 'place') throw new Error('expected a plan');
    const placed = await placeOrder(db, setup.exchange, plan.intent, noWait);
    const second = await setup.readySignal();
    expect(await prepareEntry(db, setup.exchange, second, Date.now())).toMatchObject({
      kind: 'reject',
      reasons: [
        `Account ${setup.accountId} already has exposure on BTC/USDT: entry order ${placed.clientOrderId} of signal ${first} is filled.`,
      ],
    });
  });

  it('refuses once today’s realised loss reached the trader’s daily loss limit; yesterday’s loss does not count', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { daily_loss_limit: '100' });
    await closedSignal(db, setup.owner, setup.traderId, '-500', 1);
    await closedSignal(db, setup.owner, setup.traderId, '-60');
    const signalId = await setup.readySignal();
    expect((await prepareEntry(db, setup.exchange, signalId, Date.now())).kind).toBe('place');

    await closedSignal(db, setup.owner, setup.traderId, '-40');
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'reject',
      violations: [{ rule: 'daily_loss' }],
    });
  });

  it('waits for confirmation above the large-trade threshold, and plans the entry once confirmed', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '2500' });
    await setRiskParameters(db, setup.owner, null, { large_trade_threshold: '2000' });
    const signalId = await setup.readySignal({ entryPrice: '20000' });
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toEqual({
      kind: 'await_confirmation',
      notional: '2500',
      reason:
        "The entry notional 2500 USDT is above the large-trade threshold of 2000 USDT; it waits for the user's confirmation.",
    });
    await db.query('update public.signals set confirmed_at = now() where id = $1', [signalId]);
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'place',
      intent: { amount: '0.125' },
    });
  });

  it('takes the trader’s own risk parameters over the user’s', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '600' });
    await setRiskParameters(db, setup.owner, null, { max_position_notional: '1000' });
    await setRiskParameters(db, setup.owner, setup.traderId, { max_position_notional: '500' });
    const signalId = await setup.readySignal({ entryPrice: '20000' });
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'reject',
      reasons: ['The entry notional 600 USDT is above the max position notional of 500 USDT.'],
    });
  });

  it('refuses a signal whose entry price is far from the market', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    await setRiskParameters(db, setup.owner, null, { max_slippage_bps: 50 });
    const signalId = await setup.readySignal({ entryPrice: '20200' });
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'reject',
      reasons: [
        'The entry reference price 20200 is 100 bps from the last price 20000, beyond the max slippage of 50 bps.',
      ],
    });
  });

  it('refuses an entry the exchange’s minimum notional would refuse', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '4' });
    const signalId = await setup.readySignal({ entryPrice: '20000' });
    const plan = await prepareEntry(db, setup.exchange, signalId, Date.now());
    expect(plan).toMatchObject({
      kind: 'reject',
      reasons: [
        "The entry notional 4 USDT (0.0002 BTC at 20000) is below the exchange's minimum notional of 5 USDT.",
      ],
    });
    expect(await entryOrders(db, signalId)).toEqual([]);
  });

  it('refuses a coarse-step market whose fee in the base asset would leave a lot’s worth unsellable', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '1000' });
    const signalId = await setup.readySignal({ symbol: 'XRP/USDT' });
    const plan = await prepareEntry(db, setup.exchange, signalId, Date.now());
    // ask 100.01: 1000 / 100.01 = 9.999… → 9 XRP, which hold 8.991 after the fee; the exit sells 8
    expect(plan).toEqual({
      kind: 'reject',
      reasons: [
        'The unsellable remainder after the fee (0.991 XRP, about 99.11 USDT) would exceed 1% of the entry notional 900.09 USDT (9.0009 USDT, risk_parameters.max_dust_bps 100): a buy of 9 XRP holds 8.991 XRP after the 0.1% fee taken in XRP, and an exit can sell only 8 XRP at the lot step of 1.',
      ],
      violations: [{ rule: 'dust', reason: expect.stringContaining('unsellable remainder') }],
    });
    expect(await entryOrders(db, signalId)).toEqual([]);
  });

  it('plans that entry once the user accepts the remainder (max_dust_bps), the trader’s row over the user’s', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '1000' });
    await setRiskParameters(db, setup.owner, null, { max_dust_bps: 50 });
    await setRiskParameters(db, setup.owner, setup.traderId, { max_dust_bps: 1200 });
    const signalId = await setup.readySignal({ symbol: 'XRP/USDT' });
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'place',
      notional: '900.09',
      dust: { amount: '0.991', notional: '99.10991' },
      intent: { symbol: 'XRP/USDT', amount: '9' },
    });
  });

  it('plans that entry on a venue that takes the fee in the quote asset: nothing is left behind', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { sizing_value: '1000' }, { fees: { mode: 'quote' } });
    const signalId = await setup.readySignal({ symbol: 'XRP/USDT' });
    expect(await prepareEntry(db, setup.exchange, signalId, Date.now())).toMatchObject({
      kind: 'place',
      dust: { amount: '0', notional: '0' },
      intent: { symbol: 'XRP/USDT', amount: '9' },
    });
  });
});
