/**
 * The sync job against a real paper exchange, orders placed through the real placement path.
 *
 * The market: BTC/USDT with Binance's filters (tick 0.01, step 0.00001, min notional 5), fees
 * 0.1 % in the received asset (BTC on buys, USDT on sells). Hand-computed numbers in comments.
 */
import { describe, expect, it } from 'vitest';
import type { SqlClient } from '../../../shared/db/sql.ts';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { writeEmulated } from '../../../shared/pipeline/protect.ts';
import { syncAccount } from '../../../shared/sync/index.ts';
import { order } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { balancesOf } from '../paper-exchange/support.ts';
import {
  at,
  fillsOf,
  groupAsOco,
  orderOf,
  positionsOf,
  signalRow,
  snapshot,
  type TradeSetup,
  tradeSetup,
} from './support.ts';

/** Entry: a limit buy of 0.01 at 30 000, filled by the candle of minute 1. */
async function enterAt30000(trade: TradeSetup) {
  await trade.flat(0, '30100');
  const entry = await trade.place('entry', { side: 'buy', type: 'limit', amount: '0.01', price: '30000' });
  expect(entry.status).toBe('open');
  await trade.candle(1, ['30100', '30100', '29950', '30000']);
  trade.clock.now = at(2);
  return entry;
}

/** Stop-loss at 29 000 and take-profit at 31 000 for the 0.00999 held, as one OCO group. */
async function protect(db: SqlClient, trade: TradeSetup) {
  const stop = await trade.place('stop_loss', {
    side: 'sell',
    type: 'stop_loss',
    amount: '0.00999',
    stopPrice: '29000',
  });
  const take = await trade.place('take_profit', {
    side: 'sell',
    type: 'limit',
    amount: '0.00999',
    price: '31000',
  });
  await groupAsOco(db, `signal:${trade.signalId}:protect`, stop.orderId, take.orderId);
  return { stop, take };
}

/** The candle of minute 2 runs up through the take-profit (and never near the stop). */
async function runThroughTakeProfit(trade: TradeSetup) {
  await trade.candle(2, ['30000', '31050', '30000', '31000']);
  trade.clock.now = at(3);
}

describeOnEachBackend('sync', (database) => {
  describe('a sync scoped to symbols', () => {
    it('leaves other markets for the next full sync, which then records them', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);

      const elsewhere = await syncAccount(db, trade.exchange, trade.accountId, at(2), {
        symbols: ['ETH/USDT'],
      });
      expect(elsewhere.fillsRecorded).toEqual([]);
      expect(await positionsOf(db, trade.accountId)).toEqual([]);

      const own = await syncAccount(db, trade.exchange, trade.accountId, at(2), { symbols: ['BTC/USDT'] });
      expect(own.fillsRecorded).toHaveLength(1);
      expect(own.signalsInPosition).toEqual([trade.signalId]);
    });
  });

  describe('an entry fill', () => {
    it('records the fill, opens the position net of the base fee, and puts the signal in position', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      const entry = await enterAt30000(trade);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(2));

      expect(report.fillsRecorded).toHaveLength(1);
      expect(report.signalsInPosition).toEqual([trade.signalId]);
      expect(await orderOf(db, entry.orderId)).toMatchObject({
        status: 'filled',
        filled_amount: '0.01',
        fee_cost: '0.00001', // 0.01 × 0.1 %, in BTC
        fee_currency: 'BTC',
      });
      const [position] = await positionsOf(db, trade.accountId);
      expect(await fillsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({
          side: 'buy',
          price: '30000',
          amount: '0.01',
          fee_cost: '0.00001',
          fee_currency: 'BTC',
          position_id: position!.id,
        }),
      ]);
      expect(position).toMatchObject({
        side: 'long',
        status: 'open',
        amount: '0.00999', // 0.01 − 0.00001 BTC fee: what an exit can sell
        entry_price: '30000',
        cost_basis: '299.7', // 30000 × 0.00999
        fees_paid: '0.3', // 0.00001 BTC × 30000
        realized_pnl: '-0.3',
        mark_price: '30000',
        unrealized_pnl: '0',
      });
      expect(await signalRow(db, trade.signalId)).toMatchObject({
        status: 'in_position',
        status_reason: 'entry filled',
        position_id: position!.id,
      });
    });

    it('audits what it changed as worker:sync', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const actors = await db.query<{ actor: string; to_status: string }>(
        `select actor, to_status from public.signal_events where signal_id = $1 order by id desc limit 1`,
        [trade.signalId],
      );
      expect(actors).toEqual([{ actor: 'worker:sync', to_status: 'in_position' }]);
    });
  });

  describe('a take-profit in an OCO group', () => {
    it('records the exit, cancels the stop-loss, and closes position and signal with the exact P&L', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const { stop, take } = await protect(db, trade);
      await runThroughTakeProfit(trade);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(3));

      expect(report.ocoCancelled).toEqual([stop.clientOrderId]);
      expect(report.signalsClosed).toEqual([trade.signalId]);
      expect(await orderOf(db, take.orderId)).toMatchObject({
        status: 'filled',
        fee_cost: '0.30969', // 0.00999 × 31000 = 309.69; × 0.1 %, in USDT
        fee_currency: 'USDT',
      });
      expect(await orderOf(db, stop.orderId)).toMatchObject({
        status: 'cancelled',
        status_reason: `oco: ${take.clientOrderId} of group signal:${trade.signalId}:protect filled`,
      });
      expect(await positionsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({
          status: 'closed',
          closed: true,
          amount: '0',
          dust: '0',
          // −0.3 entry fee + (309.69 − 299.7 = 9.99) − 0.30969 exit fee
          realized_pnl: '9.38031',
          fees_paid: '0.60969', // 0.3 + 0.30969
        }),
      ]);
      expect(await signalRow(db, trade.signalId)).toMatchObject({
        status: 'closed',
        realized_pnl: '9.38031',
        fees_paid: '0.60969',
      });
      // The cash agrees: 10000 − 300 + 309.69 − 0.30969 USDT, and the BTC is back where it was.
      expect(await balancesOf(trade.exchange)).toEqual({ BTC: ['1', '0'], USDT: ['10009.38031', '0'] });
    });

    it('changes nothing when it runs again', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      await protect(db, trade);
      await runThroughTakeProfit(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(3));
      const before = await snapshot(db, trade.accountId);

      const again = await syncAccount(db, trade.exchange, trade.accountId, at(3));

      expect(await snapshot(db, trade.accountId)).toEqual(before);
      expect(again).toMatchObject({
        ordersUpdated: [],
        fillsRecorded: [],
        ocoCancelled: [],
        signalsClosed: [],
        marked: [],
      });
    });

    it('after a crash halfway (cancelling the stop-loss), the next run finishes the job without recording a fill twice', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const { stop } = await protect(db, trade);
      await runThroughTakeProfit(trade);
      const crashing: Exchange = Object.create(trade.exchange);
      crashing.cancelOrder = async () => {
        throw new Error('crash stand-in: the worker died here');
      };

      await expect(syncAccount(db, crashing, trade.accountId, at(3))).rejects.toThrow(/crash stand-in/);
      // What was written before the crash is whole: the exit fill and the closed position.
      expect(await fillsOf(db, trade.accountId)).toHaveLength(2);
      expect(await positionsOf(db, trade.accountId)).toEqual([expect.objectContaining({ status: 'closed' })]);
      expect((await orderOf(db, stop.orderId)).status).toBe('open');
      expect((await signalRow(db, trade.signalId)).status).toBe('in_position');

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(3));

      expect(report.fillsRecorded).toEqual([]);
      expect(report.ocoCancelled).toEqual([stop.clientOrderId]);
      expect(await fillsOf(db, trade.accountId)).toHaveLength(2);
      expect(await signalRow(db, trade.signalId)).toMatchObject({
        status: 'closed',
        realized_pnl: '9.38031',
        fees_paid: '0.60969',
      });
      const before = await snapshot(db, trade.accountId);
      await syncAccount(db, trade.exchange, trade.accountId, at(3));
      expect(await snapshot(db, trade.accountId)).toEqual(before);
    });
  });

  describe('an emulated take-profit in an OCO group', () => {
    /** A native stop-loss at 29 000 and an emulated take-profit at 31 000 (never sent), as one group. */
    async function protectWithEmulatedTakeProfit(db: SqlClient, trade: TradeSetup) {
      const stop = await trade.place('stop_loss', {
        side: 'sell',
        type: 'stop_loss',
        amount: '0.00999',
        stopPrice: '29000',
      });
      const takeId = await writeEmulated(db, {
        intentId: trade.signalId,
        leg: 'take_profit',
        attempt: 1,
        owner: trade.owner,
        accountId: trade.accountId,
        signalId: trade.signalId,
        symbol: 'BTC/USDT',
        side: 'sell',
        type: 'take_profit',
        amount: '0.00999',
        stopPrice: '31000',
      });
      await groupAsOco(db, `signal:${trade.signalId}:protect`, stop.orderId, takeId);
      return { stop, takeId };
    }

    it('is never looked up on the venue, which has never seen it', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const { takeId } = await protectWithEmulatedTakeProfit(db, trade);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(2));

      expect(report.ordersMissing).toEqual([]);
      expect(report.emulatedSettled).toEqual([]);
      expect(await orderOf(db, takeId)).toMatchObject({ status: 'open' });
    });

    it('is cancelled in the database when the stop-loss fills, and the signal closes in the same run', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const { stop, takeId } = await protectWithEmulatedTakeProfit(db, trade);
      await trade.candle(2, ['30000', '30000', '28900', '28950']);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(3));

      expect(await orderOf(db, stop.orderId)).toMatchObject({ status: 'filled' });
      expect(await orderOf(db, takeId)).toMatchObject({
        status: 'cancelled',
        status_reason: expect.stringContaining(`oco: ${stop.clientOrderId}`),
      });
      expect(report.signalsClosed).toEqual([trade.signalId]);
      expect(await signalRow(db, trade.signalId)).toMatchObject({ status: 'closed' });
    });

    it('is cancelled when its signal leaves the lifecycle without a fill of the group', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      const { takeId } = await protectWithEmulatedTakeProfit(db, trade);
      // An operator closes the signal by hand (the position is someone else's business now).
      await db.query(`update public.signals set status = 'closed', status_reason = 'by hand' where id = $1`, [
        trade.signalId,
      ]);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(2));

      expect(report.emulatedSettled).toEqual([takeId]);
      expect(await orderOf(db, takeId)).toMatchObject({ status: 'cancelled' });
    });
  });

  describe('partial fills', () => {
    it('builds the position fill by fill, then realises a partial exit and the final exit', async () => {
      const { db } = database();
      // Every fill event (a candle) fills at most half of an order.
      const trade = await tradeSetup(db, { partialFillFraction: '0.5' });
      await trade.flat(0, '30100');
      const entry = await trade.place('entry', {
        side: 'buy',
        type: 'limit',
        amount: '0.02',
        price: '30000',
      });

      await trade.candle(1, ['30100', '30100', '29950', '30000']);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      expect(await orderOf(db, entry.orderId)).toMatchObject({
        status: 'partially_filled',
        filled_amount: '0.01',
      });
      expect((await signalRow(db, trade.signalId)).status).toBe('in_position');
      expect(await positionsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({ amount: '0.00999', entry_price: '30000', fees_paid: '0.3' }),
      ]);

      await trade.candle(2, ['30100', '30100', '29950', '30000']);
      await syncAccount(db, trade.exchange, trade.accountId, at(3));
      expect(await orderOf(db, entry.orderId)).toMatchObject({ status: 'filled', filled_amount: '0.02' });
      expect(await positionsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({
          amount: '0.01998', // 2 × 0.00999
          entry_price: '30000',
          cost_basis: '599.4', // 30000 × 0.01998
          fees_paid: '0.6', // 2 × 0.3
          realized_pnl: '-0.6',
        }),
      ]);

      const exit = await trade.place('exit', {
        side: 'sell',
        type: 'limit',
        amount: '0.01998',
        price: '30500',
      });
      await trade.candle(3, ['30000', '30600', '30000', '30500']);
      await syncAccount(db, trade.exchange, trade.accountId, at(4));
      expect(await orderOf(db, exit.orderId)).toMatchObject({
        status: 'partially_filled',
        filled_amount: '0.00999',
      });
      expect(await positionsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({
          status: 'open',
          amount: '0.00999',
          cost_basis: '299.7', // half of 599.4 went with the half sold
          // −0.6 + (0.00999 × 30500 = 304.695 − 299.7 = 4.995) − 0.304695 fee
          realized_pnl: '4.090305',
          fees_paid: '0.904695',
          unrealized_pnl: '4.995', // 0.00999 × 30500 − 299.7, marked at the last close
        }),
      ]);

      await trade.candle(4, ['30000', '30600', '30000', '30500']);
      const report = await syncAccount(db, trade.exchange, trade.accountId, at(5));
      expect(report.signalsClosed).toEqual([trade.signalId]);
      expect(await positionsOf(db, trade.accountId)).toEqual([
        expect.objectContaining({
          status: 'closed',
          amount: '0',
          realized_pnl: '8.78061', // 4.090305 + 4.995 − 0.304695
          fees_paid: '1.20939', // 0.6 + 2 × 0.304695
        }),
      ]);
      // Cash: −600 + 2 × 304.695 − 2 × 0.304695 USDT.
      expect((await balancesOf(trade.exchange))['USDT']).toEqual(['10008.78061', '0']);
      expect(await fillsOf(db, trade.accountId)).toHaveLength(4);
      expect(await signalRow(db, trade.signalId)).toMatchObject({
        status: 'closed',
        realized_pnl: '8.78061',
      });
    });
  });

  describe('dust', () => {
    it('closes a position whose remainder is below the minimum notional, and records the dust', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await enterAt30000(trade);
      await syncAccount(db, trade.exchange, trade.accountId, at(2));
      // Sells 0.0099 of the 0.00999 held: 0.00009 BTC (2.745 USDT at 30500) cannot be sold (min notional 5).
      await trade.place('exit', { side: 'sell', type: 'limit', amount: '0.0099', price: '30500' });
      await trade.candle(2, ['30000', '30600', '30000', '30500']);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(3));

      const [position] = await positionsOf(db, trade.accountId);
      expect(report.dust).toEqual([{ positionId: position!.id, symbol: 'BTC/USDT', amount: '0.00009' }]);
      expect(position).toMatchObject({
        status: 'closed',
        amount: '0',
        dust: '0.00009',
        // −0.3 + (0.0099 × 30500 = 301.95 − 299.7 × 0.0099 / 0.00999 = 297) − 0.30195 fee
        realized_pnl: '4.34805',
        fees_paid: '0.60195',
      });
      expect(await signalRow(db, trade.signalId)).toMatchObject({
        status: 'closed',
        realized_pnl: '4.34805',
      });
    });
  });

  describe('orders the exchange does not know', () => {
    it('leaves an unknown order still in its in-flight window to reconciliation, and an open one as it is', async () => {
      const { db } = database();
      const trade = await tradeSetup(db);
      await trade.flat(0, '30000');
      const unknownId = await order(db, trade.owner, trade.accountId, { clientOrderId: 'tf-sync-unknown-1' });
      await db.query(`update public.orders set status = 'unknown' where id = $1`, [unknownId]);
      const openId = await order(db, trade.owner, trade.accountId, { clientOrderId: 'tf-sync-open-1' });
      await db.query(`update public.orders set status = 'open' where id = $1`, [openId]);

      const report = await syncAccount(db, trade.exchange, trade.accountId, at(1));

      expect(report.reconciled.unresolved).toEqual(['tf-sync-unknown-1']);
      expect(report.ordersMissing).toEqual(['tf-sync-open-1']);
      expect((await orderOf(db, unknownId)).status).toBe('unknown');
      expect((await orderOf(db, openId)).status).toBe('open');
      expect(await positionsOf(db, trade.accountId)).toEqual([]);
    });
  });
});
