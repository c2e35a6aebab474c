import { expect, it } from 'vitest';
import type { SqlQueryable } from '../../../shared/db/sql.ts';
import { type OrderIntent, placeOrder } from '../../../shared/exchange/placement.ts';
import { entryRiskGuard, prepareEntry, RiskRejected } from '../../../shared/risk/index.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { engageKillSwitch, entryOrders, riskSetup, setRiskParameters } from './support.ts';

const noWait = { sleep: async () => {} };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function planFor(
  db: Parameters<typeof prepareEntry>[0],
  exchange: Parameters<typeof prepareEntry>[1],
  signalId: number,
) {
  const plan = await prepareEntry(db, exchange, signalId, Date.now());
  if (plan.kind !== 'place') throw new Error(`expected a plan to place, got ${JSON.stringify(plan)}`);
  return plan;
}

describeOnEachBackend('the in-transaction entry guard', (database) => {
  it('lets an entry every rule still allows through, and the order is placed', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await planFor(db, setup.exchange, signalId);
    const result = await placeOrder(db, setup.exchange, plan.intent, {
      ...noWait,
      beforeInsert: entryRiskGuard(signalId, Date.now(), { referencePrice: plan.referencePrice }),
    });
    expect(result).toMatchObject({ outcome: 'placed', status: 'filled' });
    expect(await entryOrders(db, signalId)).toMatchObject([
      { status: 'filled', amount: '0.00499', side: 'buy' },
    ]);
  });

  it('refuses an entry whose kill switch was engaged between prepare and place, writing and sending nothing', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await planFor(db, setup.exchange, signalId);
    await engageKillSwitch(db, setup.owner, setup.traderId, 'paused by the user');

    const sent: string[] = [];
    const spy = Object.create(setup.exchange);
    spy.createOrder = async (request: { clientOrderId: string }) => {
      sent.push(request.clientOrderId);
      return setup.exchange.createOrder(request as never);
    };
    const placing = placeOrder(db, spy, plan.intent, {
      ...noWait,
      beforeInsert: entryRiskGuard(signalId, Date.now()),
    });
    await expect(placing).rejects.toBeInstanceOf(RiskRejected);
    await expect(placing).rejects.toMatchObject({
      reasons: [expect.stringMatching(/kill switch is engaged \(paused by the user\)/)],
    });
    expect(sent).toEqual([]);
    expect(await entryOrders(db, signalId)).toEqual([]);
    const orders = await db.query('select id from public.orders where account_id = $1', [setup.accountId]);
    expect(orders).toEqual([]);
  });

  it('refuses an entry the notional limit lowered since prepare, when given the plan’s price', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await planFor(db, setup.exchange, signalId);
    await setRiskParameters(db, setup.owner, null, { max_position_notional: '50' });
    await expect(
      placeOrder(db, setup.exchange, plan.intent, {
        ...noWait,
        beforeInsert: entryRiskGuard(signalId, Date.now(), { referencePrice: plan.referencePrice }),
      }),
    ).rejects.toMatchObject({
      reasons: ['The entry notional 99.8000499 USDT is above the max position notional of 50 USDT.'],
    });
  });

  it('refuses an entry the dust limit lowered since prepare, when given the plan’s price and dust', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await planFor(db, setup.exchange, signalId);
    // 0.00000501 BTC (0.1002 USDT) of a 99.8 USDT entry is about 10 bps
    await setRiskParameters(db, setup.owner, null, { max_dust_bps: 5 });
    const guard = (dust?: string) =>
      entryRiskGuard(signalId, Date.now(), {
        referencePrice: plan.referencePrice,
        ...(dust !== undefined && { dust }),
      });
    await expect(
      placeOrder(db, setup.exchange, plan.intent, { ...noWait, beforeInsert: guard(plan.dust.amount) }),
    ).rejects.toMatchObject({
      reasons: [
        'The unsellable remainder after the fee (0.00000501 BTC, about 0.1002 USDT) would exceed 0.05% of the entry notional 99.8000499 USDT (0.04990002 USDT, risk_parameters.max_dust_bps 5).',
      ],
    });
    expect(await entryOrders(db, signalId)).toEqual([]);

    await setRiskParameters(db, setup.owner, null, { max_dust_bps: 11 });
    const result = await placeOrder(db, setup.exchange, plan.intent, {
      ...noWait,
      beforeInsert: guard(plan.dust.amount),
    });
    expect(result).toMatchObject({ outcome: 'placed' });
  });

  it('refuses an intent that is not the signal’s entry', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const signalId = await setup.readySignal();
    const plan = await planFor(db, setup.exchange, signalId);
    const other: OrderIntent = { ...plan.intent, symbol: 'ETH/USDT', intentId: `${signalId}x` };
    await expect(
      placeOrder(db, setup.exchange, other, {
        ...noWait,
        beforeInsert: entryRiskGuard(signalId, Date.now()),
      }),
    ).rejects.toBeInstanceOf(RiskRejected);
  });

  it('serialises two concurrent entries of a trader allowed one position: one pending entry, the other refused with nothing written', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { max_positions: 1 });
    const btc = await setup.readySignal({ symbol: 'BTC/USDT' });
    const eth = await setup.readySignal({ symbol: 'ETH/USDT' });
    // Both plans are made before either entry exists: each alone is allowed.
    const plans = [await planFor(db, setup.exchange, btc), await planFor(db, setup.exchange, eth)];

    // The guard holds its locks a while after checking, so without them both would pass.
    const entered: number[] = [];
    const slowGuard = (signalId: number) => {
      const guard = entryRiskGuard(signalId, Date.now());
      return async (tx: SqlQueryable, intent: OrderIntent) => {
        await guard(tx, intent);
        entered.push(signalId);
        await pause(150);
      };
    };
    const results = await Promise.allSettled(
      plans.map((plan) =>
        placeOrder(db, setup.exchange, plan.intent, {
          ...noWait,
          beforeInsert: slowGuard(plan.intent.signalId!),
        }),
      ),
    );

    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.reason).toBeInstanceOf(RiskRejected);
    expect((rejected[0]!.reason as RiskRejected).violations.map((v) => v.rule)).toEqual(['max_positions']);
    expect(entered).toHaveLength(1);

    const rows = await db.query<{ signal_id: number }>(
      `select so.signal_id from public.orders o join public.signal_orders so on so.order_id = o.id
        where o.account_id = $1 and so.leg = 'entry'`,
      [setup.accountId],
    );
    expect(rows).toHaveLength(1);
    const loser = rows[0]!.signal_id === btc ? eth : btc;
    expect(await entryOrders(db, loser)).toEqual([]);
  });

  it('serialises two concurrent entries on one account and symbol from different traders', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const { addTrader, readySignal } = await import('./support.ts');
    const otherTrader = await addTrader(db, setup.owner, setup.accountId);
    const first = await setup.readySignal({ entryPrice: '20000' });
    const second = await readySignal(db, setup.owner, otherTrader, { entryPrice: '20000' });
    const plans = [await planFor(db, setup.exchange, first), await planFor(db, setup.exchange, second)];
    const results = await Promise.allSettled(
      plans.map((plan) => {
        const guard = entryRiskGuard(plan.intent.signalId!, Date.now());
        return placeOrder(db, setup.exchange, plan.intent, {
          ...noWait,
          beforeInsert: async (tx, intent) => {
            await guard(tx, intent);
            await pause(150);
          },
        });
      }),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    expect((refused.reason as RiskRejected).violations.map((v) => v.rule)).toEqual(['duplicate_exposure']);
  });
});
