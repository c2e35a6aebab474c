/**
 * Sync through the real `ccxt.binance` client against the local exchange server: the fills
 * come from `fetchMyTrades`, a buy's fee in BTC, and the position holds what the fee left.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ExchangeServer } from '../../../platform/exchange-server/server.ts';
import { placeOrder } from '../../../shared/exchange/placement.ts';
import { dec } from '../../../shared/money/decimal.ts';
import { syncAccount } from '../../../shared/sync/index.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { accountOn, flatExchange, intent } from '../exchange-placement/support.ts';
import { fillsOf, positionsOf } from './support.ts';

let server: ExchangeServer;
beforeAll(async () => {
  server = await flatExchange();
});
afterAll(async () => {
  await server.close();
});

describeOnEachBackend('sync with the ccxt adapter', (database) => {
  it('records a market buy’s fill with its fee in the base asset, and a position of what is held', async () => {
    const { db } = database();
    const account = await accountOn(db, server);
    const buy = await placeOrder(
      db,
      account.exchange,
      intent(account, { type: 'market', amount: '0.01', price: undefined }),
      { sleep: async () => {} },
    );
    expect(buy.status).toBe('filled');

    const report = await syncAccount(db, account.exchange, account.accountId, Date.now());

    expect(report.fillsRecorded).toHaveLength(1);
    const [fill] = await fillsOf(db, account.accountId);
    expect(fill).toMatchObject({ side: 'buy', amount: '0.01', fee_cost: '0.00001', fee_currency: 'BTC' });
    expect(await positionsOf(db, account.accountId)).toEqual([
      expect.objectContaining({
        side: 'long',
        status: 'open',
        amount: '0.00999', // 0.01 − 0.00001 BTC
        entry_price: fill!.price,
        fees_paid: dec(fill!.price).mul('0.00001').toFixed(), // the BTC fee at the fill price
      }),
    ]);

    const again = await syncAccount(db, account.exchange, account.accountId, Date.now());
    expect(again.fillsRecorded).toEqual([]);
    expect(await fillsOf(db, account.accountId)).toHaveLength(1);
  });
});
