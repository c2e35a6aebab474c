/**
 * Trader metrics: each trader's track record, counted by the database in the transaction that
 * ends each signal — exactly once, whoever ends it — and readable only by its owner.
 */
import { beforeEach, expect, it } from 'vitest';
import { asUser, type SqlClient } from '../../shared/db/sql.ts';
import { dec } from '../../shared/money/decimal.ts';
import { advanceSignal, paperAccount, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

const TO_IN_POSITION = ['analyzing', 'monitoring', 'ready', 'in_position'];

interface Metrics {
  signals_closed: number;
  wins: number;
  losses: number;
  signals_rejected: number;
  signals_expired: number;
  signals_cancelled: number;
  signals_failed: number;
  realized_pnl: string;
  fees_paid: string;
  gross_profit: string;
  gross_loss: string;
  best_pnl: string | null;
  worst_pnl: string | null;
}

/** The trader's record in one quote currency (USDT: the builders' signals are on BTC/USDT). */
async function metricsOf(db: SqlClient, traderId: number, quote = 'USDT'): Promise<Metrics> {
  const rows = await db.query<Metrics>(
    `select signals_closed, wins, losses, signals_rejected, signals_expired, signals_cancelled, signals_failed,
            realized_pnl::text as realized_pnl, fees_paid::text as fees_paid, gross_profit::text as gross_profit,
            gross_loss::text as gross_loss, best_pnl::text as best_pnl, worst_pnl::text as worst_pnl
       from public.trader_metrics where trader_id = $1 and quote = $2`,
    [traderId, quote],
  );
  if (!rows[0]) throw new Error(`trader ${traderId} has no ${quote} metrics row`);
  return rows[0];
}

/** Closes a signal as SYNC does: the position is flat, the signal takes its P&L and fees. */
async function closeWith(db: SqlClient, signalId: number, pnl: string, fees: string): Promise<void> {
  await db.query(
    `update public.signals set status = 'closed', status_reason = 'position closed', realized_pnl = $2, fees_paid = $3
      where id = $1`,
    [signalId, pnl, fees],
  );
}

async function closedSignal(db: SqlClient, owner: string, traderId: number, pnl: string, fees: string) {
  const id = await signal(db, owner, traderId);
  await advanceSignal(db, id, ...TO_IN_POSITION);
  await closeWith(db, id, pnl, fees);
  return id;
}

describeOnEachBackend('trader metrics', (database) => {
  let owner: string;
  let traderId: number;

  beforeEach(async () => {
    const { db } = database();
    owner = await createUser(db);
    traderId = await trader(db, owner, await paperAccount(db, owner));
  });

  it('has no record for a trader none of whose signals has ended', async () => {
    const { db } = database();
    await signal(db, owner, traderId);
    const rows = await db.query('select 1 from public.trader_metrics where trader_id = $1', [traderId]);
    expect(rows).toEqual([]);
  });

  it('counts each closed signal: wins, losses, exact P&L and fees, best and worst trade', async () => {
    const { db } = database();
    await closedSignal(db, owner, traderId, '12.5', '0.2');
    await closedSignal(db, owner, traderId, '-4.1000000001', '0.19');
    await closedSignal(db, owner, traderId, '0', '0.01');
    await closedSignal(db, owner, traderId, '0.30000001', '0.1');

    expect(await metricsOf(db, traderId)).toMatchObject({
      signals_closed: 4,
      wins: 2,
      losses: 1,
      realized_pnl: '8.7000000099',
      fees_paid: '0.50',
      gross_profit: '12.80000001',
      gross_loss: '-4.1000000001',
      best_pnl: '12.5',
      worst_pnl: '-4.1000000001',
    });
  });

  it('keeps money apart per quote currency and never adds USDT to BTC', async () => {
    const { db } = database();
    const inUsdt = await signal(db, owner, traderId, { symbol: 'ETH/USDT' });
    await advanceSignal(db, inUsdt, ...TO_IN_POSITION);
    await closeWith(db, inUsdt, '25', '0.1');
    const inBtc = await signal(db, owner, traderId, { symbol: 'ETH/BTC' });
    await advanceSignal(db, inBtc, ...TO_IN_POSITION);
    await closeWith(db, inBtc, '-0.0004', '0.00002');
    const perpetual = await signal(db, owner, traderId, { symbol: 'XRP/USDT:USDT' });
    await advanceSignal(db, perpetual, 'rejected');

    expect(await metricsOf(db, traderId, 'USDT')).toMatchObject({
      signals_closed: 1,
      wins: 1,
      signals_rejected: 1,
      realized_pnl: '25',
      fees_paid: '0.1',
    });
    expect(await metricsOf(db, traderId, 'BTC')).toMatchObject({
      signals_closed: 1,
      losses: 1,
      realized_pnl: '-0.0004',
      fees_paid: '0.00002',
      worst_pnl: '-0.0004',
    });
  });

  it('counts signals that ended without a trade by how they ended, with no P&L', async () => {
    const { db } = database();
    const rejected = await signal(db, owner, traderId);
    await advanceSignal(db, rejected, 'analyzing', 'rejected');
    const expired = await signal(db, owner, traderId);
    await advanceSignal(db, expired, 'analyzing', 'monitoring', 'expired');
    const failed = await signal(db, owner, traderId);
    await advanceSignal(db, failed, 'analyzing', 'monitoring', 'ready', 'failed');
    // The user cancels through RLS, as the API does.
    const cancelled = await signal(db, owner, traderId);
    await asUser(db, owner, (tx) =>
      tx.query(`update public.signals set status = 'cancelled' where id = $1`, [cancelled]),
    );

    expect(await metricsOf(db, traderId)).toMatchObject({
      signals_closed: 0,
      signals_rejected: 1,
      signals_expired: 1,
      signals_failed: 1,
      signals_cancelled: 1,
      realized_pnl: '0',
      best_pnl: null,
    });
  });

  it('counts a signal once, however often the ended row is written again', async () => {
    const { db } = database();
    const id = await closedSignal(db, owner, traderId, '3', '0.1');
    await db.query(
      `update public.signals set note = 'reviewed', status_reason = 'position closed' where id = $1`,
      [id],
    );
    await db.query(`update public.signals set status = 'closed' where id = $1`, [id]);
    expect(await metricsOf(db, traderId)).toMatchObject({ signals_closed: 1, wins: 1, realized_pnl: '3' });
  });

  it("refuses to rewrite a closed signal's P&L and leaves the record as it was", async () => {
    const { db } = database();
    const id = await closedSignal(db, owner, traderId, '3', '0.1');
    await expect(
      db.query(`update public.signals set realized_pnl = 300 where id = $1`, [id]),
    ).rejects.toThrow(`signal ${id}: a closed signal's realised P&L and fees are final`);
    expect(await metricsOf(db, traderId)).toMatchObject({ realized_pnl: '3', best_pnl: '3' });
  });

  it('equals the totals over the signals when many of one trader close at the same time', async () => {
    const { db } = database();
    const results = Array.from({ length: 24 }, (_, i) => ({
      pnl: dec(((i * 7919) % 23) - 11)
        .div(7)
        .toDecimalPlaces(8)
        .toFixed(),
      fees: dec(i % 5)
        .div(100)
        .toFixed(),
    }));
    const ids: number[] = [];
    for (const _ of results) {
      const id = await signal(db, owner, traderId);
      await advanceSignal(db, id, ...TO_IN_POSITION);
      ids.push(id);
    }
    await Promise.all(ids.map((id, i) => closeWith(db, id, results[i]!.pnl, results[i]!.fees)));

    const [totals] = await db.query<Record<string, string | number>>(
      `select count(*)::int as signals_closed,
              count(*) filter (where realized_pnl > 0)::int as wins,
              count(*) filter (where realized_pnl < 0)::int as losses,
              sum(realized_pnl)::text as realized_pnl, sum(fees_paid)::text as fees_paid,
              max(realized_pnl)::text as best_pnl, min(realized_pnl)::text as worst_pnl
         from public.signals where trader_id = $1 and status = 'closed'`,
      [traderId],
    );
    const metrics = await metricsOf(db, traderId);
    expect(metrics).toMatchObject({
      signals_closed: 24,
      wins: totals!.wins,
      losses: totals!.losses,
      best_pnl: totals!.best_pnl,
      worst_pnl: totals!.worst_pnl,
    });
    expect(dec(metrics.realized_pnl).eq(totals!.realized_pnl!)).toBe(true);
    expect(dec(metrics.fees_paid).eq(totals!.fees_paid!)).toBe(true);
    expect(dec(metrics.gross_profit).plus(metrics.gross_loss).eq(metrics.realized_pnl)).toBe(true);
  });

  it("rebuilds the same record from the ended signals (the migration's backfill of older signals)", async () => {
    const { db } = database();
    await closedSignal(db, owner, traderId, '7.25', '0.3');
    await closedSignal(db, owner, traderId, '-1.5', '0.2');
    const rejected = await signal(db, owner, traderId, { symbol: 'ETH/BTC' });
    await advanceSignal(db, rejected, 'rejected');
    const before = await db.query('select * from public.trader_metrics where trader_id = $1 order by quote', [
      traderId,
    ]);
    expect(before).toHaveLength(2);

    await db.query('delete from public.trader_metrics where trader_id = $1', [traderId]);
    await db.query(
      `select internal.add_to_trader_metrics(s) from public.signals s
        where s.trader_id = $1 and s.status in ('closed', 'rejected', 'expired', 'cancelled', 'failed')
        order by s.id`,
      [traderId],
    );
    const rebuilt = await db.query(
      'select * from public.trader_metrics where trader_id = $1 order by quote',
      [traderId],
    );
    const withoutTime = (rows: Record<string, unknown>[]) => rows.map(({ updated_at: _, ...row }) => row);
    expect(withoutTime(rebuilt)).toEqual(withoutTime(before));
  });

  it('lets the owner read her record, not write it, and shows another user nothing', async () => {
    const { db } = database();
    await closedSignal(db, owner, traderId, '1', '0');
    const mine = await asUser(db, owner, (tx) =>
      tx.query<{ n: number }>('select signals_closed as n from public.trader_metrics where trader_id = $1', [
        traderId,
      ]),
    );
    expect(mine).toEqual([{ n: 1 }]);
    await expect(
      asUser(db, owner, (tx) =>
        tx.query('update public.trader_metrics set realized_pnl = 1000000 where trader_id = $1', [traderId]),
      ),
    ).rejects.toThrow(/permission denied/);
    const stranger = await createUser(db);
    const theirs = await asUser(db, stranger, (tx) =>
      tx.query('select 1 from public.trader_metrics where trader_id = $1', [traderId]),
    );
    expect(theirs).toEqual([]);
    expect(await metricsOf(db, traderId)).toMatchObject({ realized_pnl: '1' });
  });
});
