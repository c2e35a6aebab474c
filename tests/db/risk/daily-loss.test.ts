import { expect, it } from 'vitest';
import {
  dailyRealizedPnl,
  dailyRealizedPnlForUser,
  haltTraderIfDailyLossHit,
  haltTraderUntilNextUtcDay,
  nextUtcMidnight,
  prepareEntry,
} from '../../../shared/risk/index.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { addTrader, closedSignal, riskSetup, setRiskParameters } from './support.ts';

async function traderRow(db: Parameters<typeof dailyRealizedPnl>[0], traderId: number) {
  const rows = await db.query<{ halted_until: Date | null; halt_reason: string | null }>(
    'select halted_until, halt_reason from public.traders where id = $1',
    [traderId],
  );
  return rows[0]!;
}

async function haltAlerts(db: Parameters<typeof dailyRealizedPnl>[0], traderId: number) {
  return db.query<{ severity: string; message: string }>(
    `select severity, message from public.alerts where trader_id = $1 and kind = 'trader_halted' order by id`,
    [traderId],
  );
}

describeOnEachBackend('the daily realised loss limit', (database) => {
  it('sums the realised P&L of the trader’s signals closed today (UTC), not yesterday’s nor another trader’s', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const other = await addTrader(db, setup.owner, setup.accountId);
    await closedSignal(db, setup.owner, setup.traderId, '-40.5');
    await closedSignal(db, setup.owner, setup.traderId, '15.25');
    await closedSignal(db, setup.owner, setup.traderId, '-1000', 1);
    await closedSignal(db, setup.owner, other, '-7');
    expect(await dailyRealizedPnl(db, setup.traderId, Date.now())).toBe('-25.25');
    expect(await dailyRealizedPnlForUser(db, setup.owner, Date.now())).toBe('-32.25');
    expect(await dailyRealizedPnl(db, setup.traderId, Date.now() - 86_400_000)).toBe('-1000');
  });

  it('halts a trader until the next 00:00 UTC with one alert, however often it runs', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const now = Date.now();
    const first = await db.transaction((tx) =>
      haltTraderUntilNextUtcDay(tx, setup.traderId, 'daily loss', now),
    );
    const again = await db.transaction((tx) =>
      haltTraderUntilNextUtcDay(tx, setup.traderId, 'daily loss', now),
    );
    expect(first).toEqual({ halted: true, until: nextUtcMidnight(now) });
    expect(again).toEqual({ halted: false, until: nextUtcMidnight(now) });
    const trader = await traderRow(db, setup.traderId);
    expect(trader.halted_until?.getTime()).toBe(nextUtcMidnight(now));
    expect(trader.halt_reason).toBe('daily loss');
    expect(await haltAlerts(db, setup.traderId)).toHaveLength(1);
  });

  it('halts the trader whose loss today reached its limit, and its next entry is refused', async () => {
    const { db } = database();
    const setup = await riskSetup(db, { daily_loss_limit: '100' });
    await closedSignal(db, setup.owner, setup.traderId, '-99.99');
    expect((await haltTraderIfDailyLossHit(db, setup.traderId, Date.now())).halt).toBeNull();

    await closedSignal(db, setup.owner, setup.traderId, '-0.01');
    const check = await haltTraderIfDailyLossHit(db, setup.traderId, Date.now());
    expect(check).toMatchObject({
      reason: "daily realised loss 100 reached the trader's limit of 100",
      halt: { halted: true },
      traderPnl: '-100',
    });
    expect(await haltAlerts(db, setup.traderId)).toMatchObject([{ severity: 'critical' }]);

    const signalId = await setup.readySignal();
    const plan = await prepareEntry(db, setup.exchange, signalId, Date.now());
    expect(plan.kind === 'reject' && plan.violations.map((v) => v.rule)).toEqual([
      'trader_halted',
      'daily_loss',
    ]);
  });

  it('halts every trader of a user whose total loss today reached the user’s limit', async () => {
    const { db } = database();
    const setup = await riskSetup(db);
    const other = await addTrader(db, setup.owner, setup.accountId);
    await setRiskParameters(db, setup.owner, null, { daily_loss_limit: '50' });
    await closedSignal(db, setup.owner, setup.traderId, '-30');
    await closedSignal(db, setup.owner, other, '-20');
    for (const traderId of [setup.traderId, other]) {
      const check = await haltTraderIfDailyLossHit(db, traderId, Date.now());
      expect(check.reason).toBe("the user's daily realised loss 50 reached the user's limit of 50");
    }
    expect((await traderRow(db, other)).halted_until).not.toBeNull();
  });
});
