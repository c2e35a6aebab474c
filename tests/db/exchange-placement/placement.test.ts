import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeServer } from '../../../platform/exchange-server/server.ts';
import { placeOrder, reconcileUnknownOrders } from '../../../shared/exchange/placement.ts';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { signal, trader } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { accountOn, ageLastSend, flatExchange, intent, orderRow, statusHistory } from './support.ts';

let server: ExchangeServer;
beforeAll(async () => {
  server = await flatExchange();
});
afterAll(async () => {
  await server.close();
});

const ORDER_POST = { method: 'POST', path: '/api/v3/order' } as const;
const ORDER_GET = { method: 'GET', path: '/api/v3/order' } as const;
const noWait = { sleep: async () => {} };

describeOnEachBackend('exactly-once placement', (database) => {
  describe('the happy paths', () => {
    it('commits the pending row before calling the exchange, then records the fill with its fee in the base asset', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const seenBeforeCall: string[] = [];
      const spy: Exchange = Object.create(account.exchange);
      spy.createOrder = async (request) => {
        seenBeforeCall.push((await orderRow(db, request.clientOrderId)).status);
        return account.exchange.createOrder(request);
      };
      const result = await placeOrder(
        db,
        spy,
        intent(account, { type: 'market', amount: '0.01', price: undefined }),
        noWait,
      );
      expect(seenBeforeCall).toEqual(['pending']);
      expect(result).toMatchObject({ outcome: 'placed', status: 'filled', sends: 1 });
      expect(await orderRow(db, result.clientOrderId)).toMatchObject({
        status: 'filled',
        filled_amount: '0.01',
        fee_cost: '0.00001',
        fee_currency: 'BTC',
        exchange_order_id: result.order!.exchangeOrderId,
      });
      expect(await statusHistory(db, result.clientOrderId)).toEqual(['pending', 'filled']);
    });

    it('records a sell’s fee in the quote asset', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      await placeOrder(
        db,
        account.exchange,
        intent(account, { type: 'market', amount: '0.01', price: undefined }),
        noWait,
      );
      const sell = await placeOrder(
        db,
        account.exchange,
        intent(account, { side: 'sell', leg: 'exit', type: 'market', amount: '0.005', price: undefined }),
        noWait,
      );
      expect(await orderRow(db, sell.clientOrderId)).toMatchObject({
        status: 'filled',
        fee_currency: 'USDT',
        fee_cost: '0.14999995',
      });
    });

    it('records a resting limit order as open, and a second run for the same intent sends nothing', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const order = intent(account);
      const first = await placeOrder(db, account.exchange, order, noWait);
      const second = await placeOrder(db, account.exchange, order, noWait);
      expect(first).toMatchObject({ outcome: 'placed', status: 'open' });
      expect(second).toMatchObject({
        outcome: 'unchanged',
        status: 'open',
        sends: 0,
        orderId: first.orderId,
      });
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    it('rounds the amount down to the step and the price to the tick before writing the row, so the row holds what is sent', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const result = await placeOrder(
        db,
        account.exchange,
        intent(account, { amount: '0.0123456', price: '29000.004' }),
        noWait,
      );
      expect(await orderRow(db, result.clientOrderId)).toMatchObject({ amount: '0.01234', status: 'open' });
      expect(result.order).toMatchObject({ amount: '0.01234', price: '29000' });
    });

    it('links the order to its signal as the leg and attempt it carries out', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const signalId = await signal(
        db,
        account.owner,
        await trader(db, account.owner, account.accountId, `T${Date.now()}`),
      );
      const result = await placeOrder(
        db,
        account.exchange,
        intent(account, { intentId: signalId, signalId, leg: 'entry', attempt: 1 }),
        noWait,
      );
      expect(result.clientOrderId).toBe(`tf-${signalId}-e-1`);
      const links = await db.query(
        'select leg, attempt, order_id from public.signal_orders where signal_id = $1',
        [signalId],
      );
      expect(links).toEqual([{ leg: 'entry', attempt: 1, order_id: result.orderId }]);
    });

    it('records a partial fill as partially_filled', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'partial-fill', fraction: 0.5 },
      });
      const result = await placeOrder(db, account.exchange, intent(account, { price: '30100' }), noWait);
      expect(await orderRow(db, result.clientOrderId)).toMatchObject({
        status: 'partially_filled',
        filled_amount: '0.005',
      });
    });
  });

  describe('refusals', () => {
    it('rejects an order below the min notional before sending, naming the limit; the exchange sees nothing', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const result = await placeOrder(db, account.exchange, intent(account, { amount: '0.0001' }), noWait);
      expect(result).toMatchObject({ outcome: 'rejected', status: 'rejected' });
      expect((await orderRow(db, result.clientOrderId)).status_reason).toMatch(
        /MarketLimitViolation: .*min notional 5 USDT/,
      );
      expect(server.orders(account.apiKey)).toHaveLength(0);
    });

    it('rejects on insufficient funds with the reason recorded, and sends once', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'insufficient-balance' },
      });
      const result = await placeOrder(db, account.exchange, intent(account), noWait);
      expect(result).toMatchObject({ outcome: 'rejected', sends: 1 });
      expect((await orderRow(db, result.clientOrderId)).status_reason).toMatch(/InsufficientFunds/);
      expect(server.orders(account.apiKey)).toHaveLength(0);
    });
  });

  describe('lost answers: look the order up by client id before anything else', () => {
    it('accept-then-timeout: finds the accepted order and records it open; exactly one order on the exchange', async () => {
      const { db } = database();
      const account = await accountOn(db, server, { timeoutMs: 300 });
      await account.exchange.market('BTC/USDT');
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'accept-then-timeout', holdMs: 2_000 },
      });
      const result = await placeOrder(db, account.exchange, intent(account), noWait);
      expect(result).toMatchObject({ outcome: 'found', status: 'open', sends: 1 });
      expect(result.reason).toMatch(/RequestTimeout/);
      expect(server.orders(account.apiKey)).toHaveLength(1);
      expect(await statusHistory(db, result.clientOrderId)).toEqual(['pending', 'open']);
    });

    it('accept-then-timeout with the lookup failing too: unknown, never re-sent, then reconciled to open; one order', async () => {
      const { db } = database();
      const account = await accountOn(db, server, { timeoutMs: 300 });
      await account.exchange.market('BTC/USDT');
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'accept-then-timeout', holdMs: 2_000 },
      });
      server.injectFault({
        ...ORDER_GET,
        apiKey: account.apiKey,
        times: 3,
        fault: { kind: 'server-error', status: 503 },
      });
      const order = intent(account);
      const result = await placeOrder(db, account.exchange, order, noWait);
      expect(result).toMatchObject({ outcome: 'unknown', status: 'unknown' });
      expect(result.reason).toMatch(/lookup by client order id failed/);

      // A retried job for the same intent does not send again while the outcome is unknown.
      expect(await placeOrder(db, account.exchange, order, noWait)).toMatchObject({
        outcome: 'found',
        status: 'open',
        sends: 0,
      });
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    it('reconcileUnknownOrders settles an unknown order found on the exchange', async () => {
      const { db } = database();
      const account = await accountOn(db, server, { timeoutMs: 300 });
      await account.exchange.market('BTC/USDT');
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'accept-then-timeout', holdMs: 2_000 },
      });
      server.injectFault({
        ...ORDER_GET,
        apiKey: account.apiKey,
        times: 3,
        fault: { kind: 'server-error', status: 503 },
      });
      const result = await placeOrder(db, account.exchange, intent(account), noWait);
      expect(result.status).toBe('unknown');
      const reconciled = await reconcileUnknownOrders(db, account.exchange, account.accountId);
      expect(reconciled).toMatchObject({
        checked: 1,
        recorded: [result.clientOrderId],
        failed: [],
        unresolved: [],
      });
      expect(await statusHistory(db, result.clientOrderId)).toEqual(['pending', 'unknown', 'open']);
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    it('accept-then-drop on a market order: finds it filled', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      await account.exchange.market('BTC/USDT');
      server.injectFault({
        ...ORDER_POST,
        apiKey: account.apiKey,
        times: 1,
        fault: { kind: 'accept-then-drop' },
      });
      const result = await placeOrder(
        db,
        account.exchange,
        intent(account, { type: 'market', price: undefined }),
        noWait,
      );
      expect(result).toMatchObject({ outcome: 'found', status: 'filled' });
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    it.each([
      ['a dropped connection', { kind: 'drop-connection' } as const],
      ['a 503', { kind: 'server-error', status: 503 } as const],
      ['a 504', { kind: 'server-error', status: 504 } as const],
    ])(
      '%s before processing: absent but possibly in flight → unknown, not re-sent; reconciled to failed later; no order',
      async (_name, fault) => {
        const { db } = database();
        const account = await accountOn(db, server);
        await account.exchange.market('BTC/USDT');
        server.injectFault({ ...ORDER_POST, apiKey: account.apiKey, times: 1, fault });
        const order = intent(account);
        const result = await placeOrder(db, account.exchange, order, noWait);
        expect(result).toMatchObject({ outcome: 'unknown', status: 'unknown', sends: 1 });
        expect(result.reason).toMatch(/may still execute/);

        // Within the in-flight window, neither a retried job nor the sweep sends or gives up.
        expect(await placeOrder(db, account.exchange, order, noWait)).toMatchObject({
          outcome: 'unknown',
          sends: 0,
        });
        expect(await reconcileUnknownOrders(db, account.exchange, account.accountId)).toMatchObject({
          unresolved: [result.clientOrderId],
        });
        expect(server.orders(account.apiKey)).toHaveLength(0);

        await ageLastSend(db, result.clientOrderId);
        expect(await reconcileUnknownOrders(db, account.exchange, account.accountId)).toMatchObject({
          failed: [result.clientOrderId],
        });
        expect(await orderRow(db, result.clientOrderId)).toMatchObject({ status: 'failed' });
        expect(server.orders(account.apiKey)).toHaveLength(0);
      },
    );

    it.each([
      ['a 429 rate limit', { kind: 'rate-limit' } as const],
      ['a 418 ban', { kind: 'ban' } as const],
    ])(
      '%s (refused before processing): looked up, absent, sent again with the same client id; one order',
      async (_name, fault) => {
        const { db } = database();
        const account = await accountOn(db, server);
        await account.exchange.market('BTC/USDT');
        server.injectFault({ ...ORDER_POST, apiKey: account.apiKey, times: 1, fault });
        const result = await placeOrder(db, account.exchange, intent(account), noWait);
        expect(result).toMatchObject({ outcome: 'placed', status: 'open', sends: 2 });
        const onServer = server.ordersJson(account.apiKey)[account.apiKey]!;
        expect(onServer.map((o) => o['clientOrderId'])).toEqual([result.clientOrderId]);
      },
    );

    it('gives up as failed after the last send is refused before processing, with no order', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      await account.exchange.market('BTC/USDT');
      server.injectFault({ ...ORDER_POST, apiKey: account.apiKey, times: 3, fault: { kind: 'rate-limit' } });
      const result = await placeOrder(db, account.exchange, intent(account), noWait);
      expect(result).toMatchObject({ outcome: 'failed', status: 'failed', sends: 3 });
      expect(result.reason).toMatch(/not on the exchange after 3 sends/);
      expect(server.orders(account.apiKey)).toHaveLength(0);
    });
  });

  describe('crashes', () => {
    it('a crash between the row write and the call: a quick rerun waits, a rerun after the lease sends exactly once', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const crashing: Exchange = Object.create(account.exchange);
      crashing.createOrder = async () => {
        throw new Error('worker killed');
      };
      const order = intent(account);
      await expect(placeOrder(db, crashing, order, noWait)).rejects.toThrow('worker killed');
      const clientOrderId = `tf-${order.intentId}-e-1`;
      expect((await orderRow(db, clientOrderId)).status).toBe('pending');

      // Right away, the crashed send could still be in flight: look up, and do not send.
      expect(await placeOrder(db, account.exchange, order, noWait)).toMatchObject({
        outcome: 'unknown',
        sends: 0,
      });
      expect(server.orders(account.apiKey)).toHaveLength(0);

      // The job comes back after its lease expired: absent for good, so the same attempt is sent, once.
      await ageLastSend(db, clientOrderId);
      const result = await placeOrder(db, account.exchange, order, noWait);
      expect(result).toMatchObject({ outcome: 'placed', status: 'open', sends: 1, clientOrderId });
      expect(await placeOrder(db, account.exchange, order, noWait)).toMatchObject({
        outcome: 'unchanged',
        sends: 0,
      });
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    it('a crash after the exchange accepted the order: the rerun finds it by client id and sends nothing', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const crashing: Exchange = Object.create(account.exchange);
      crashing.createOrder = async (request) => {
        await account.exchange.createOrder(request);
        throw new Error('worker killed before recording');
      };
      const order = intent(account);
      await expect(placeOrder(db, crashing, order, noWait)).rejects.toThrow('worker killed');
      const result = await placeOrder(db, account.exchange, order, noWait);
      expect(result).toMatchObject({ outcome: 'found', status: 'open', sends: 0 });
      expect(server.orders(account.apiKey)).toHaveLength(1);
    });

    describe('a resumed run racing the sweep over the same crashed row', () => {
      /** A row a crashed run left pending before any send, older than the in-flight window. */
      async function crashedBeforeTheSend(account: Awaited<ReturnType<typeof accountOn>>) {
        const { db } = database();
        const crashing: Exchange = Object.create(account.exchange);
        crashing.createOrder = async () => {
          throw new Error('worker killed');
        };
        const order = intent(account);
        await expect(placeOrder(db, crashing, order, noWait)).rejects.toThrow('worker killed');
        const clientOrderId = `tf-${order.intentId}-e-1`;
        await ageLastSend(db, clientOrderId);
        return { order, clientOrderId };
      }

      it('the sweep that looked before the resumed send does not fail the order that send placed', async () => {
        const { db } = database();
        const account = await accountOn(db, server);
        const { order, clientOrderId } = await crashedBeforeTheSend(account);
        // The sweep's lookup finds nothing; before it acts on that, the resumed job sends.
        const sweeping: Exchange = Object.create(account.exchange);
        sweeping.fetchOrder = async (symbol, ref) => {
          const found = await account.exchange.fetchOrder(symbol, ref);
          const resumed = await placeOrder(db, account.exchange, order, noWait);
          expect(resumed).toMatchObject({ outcome: 'placed', status: 'open', sends: 1 });
          return found;
        };

        const swept = await reconcileUnknownOrders(db, sweeping, account.accountId);

        expect(swept).toMatchObject({ failed: [], unresolved: [clientOrderId] });
        expect(await orderRow(db, clientOrderId)).toMatchObject({ status: 'open' });
        expect(server.orders(account.apiKey)).toHaveLength(1);
      });

      it('the resumed run whose row the sweep failed meanwhile sends nothing', async () => {
        const { db } = database();
        const account = await accountOn(db, server);
        const { order, clientOrderId } = await crashedBeforeTheSend(account);
        // The resumed job's lookup finds nothing; before it sends, the sweep gives the row up.
        const resuming: Exchange = Object.create(account.exchange);
        resuming.fetchOrder = async (symbol, ref) => {
          const found = await account.exchange.fetchOrder(symbol, ref);
          const swept = await reconcileUnknownOrders(db, account.exchange, account.accountId);
          expect(swept).toMatchObject({ failed: [clientOrderId] });
          return found;
        };

        const resumed = await placeOrder(db, resuming, order, noWait);

        expect(resumed).toMatchObject({ outcome: 'unchanged', status: 'failed', sends: 0 });
        expect(server.orders(account.apiKey)).toHaveLength(0);
      });
    });

    it('a pending row left by a crash is reconciled by the sweep once no send can be in flight', async () => {
      const { db } = database();
      const account = await accountOn(db, server);
      const crashing: Exchange = Object.create(account.exchange);
      crashing.createOrder = async (request) => {
        await account.exchange.createOrder(request);
        throw new Error('worker killed before recording');
      };
      const order = intent(account);
      await expect(placeOrder(db, crashing, order, noWait)).rejects.toThrow('worker killed');
      const clientOrderId = `tf-${order.intentId}-e-1`;
      expect(await reconcileUnknownOrders(db, account.exchange, account.accountId)).toMatchObject({
        checked: 0,
      });
      await ageLastSend(db, clientOrderId);
      expect(await reconcileUnknownOrders(db, account.exchange, account.accountId)).toMatchObject({
        recorded: [clientOrderId],
      });
      expect(await orderRow(db, clientOrderId)).toMatchObject({ status: 'open' });
    });
  });
});
