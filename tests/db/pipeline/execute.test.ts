/**
 * execute: refused by the risk rules (before and inside the transaction that would write the
 * order) with nothing placed; and a crash after the pending row is written that the retried
 * job resolves by client order id into exactly one entry order.
 */
import { expect, it } from 'vitest';
import type { Exchange } from '../../../shared/exchange/port.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { ordersOf, type PipelineSetup, pipelineSetup, venueOrders, withOverrides } from './support.ts';

async function readySignal(setup: PipelineSetup): Promise<number> {
  const id = await setup.signal({ entry: '104.24', stop: '103.5', takeProfit: '105.5' });
  await setup.run('analyse', { signal_id: id });
  await setup.run('monitor');
  expect(await setup.status(id)).toBe('ready');
  return id;
}

async function engageKillSwitch(setup: PipelineSetup): Promise<void> {
  await setup.db.query(
    `insert into public.kill_switches (owner, engaged, engaged_at, reason) values ($1, true, now(), 'test')
     on conflict (owner, trader_id) do update set engaged = true, engaged_at = now()`,
    [setup.owner],
  );
}

/** An exchange whose next createOrder crashes the worker — before or after the venue got it. */
function crashingOnce(when: 'before_send' | 'after_send') {
  let crashed = false;
  return (exchange: Exchange): Exchange =>
    withOverrides(exchange, {
      createOrder: async (request) => {
        if (crashed) return exchange.createOrder(request);
        crashed = true;
        if (when === 'after_send') await exchange.createOrder(request);
        throw new Error(`worker killed ${when.replace('_', ' ')}`);
      },
    });
}

describeOnEachBackend('execute', (database) => {
  it('rejects a ready signal when the kill switch is engaged, and places nothing', async () => {
    const setup = await pipelineSetup(database().db);
    const id = await readySignal(setup);
    await engageKillSwitch(setup);
    await setup.run('execute', { signal_id: id });
    expect(await setup.status(id)).toBe('rejected');
    expect(await ordersOf(setup.db, id)).toEqual([]);
    expect(await venueOrders(setup.db, id)).toEqual([]);
  });

  it('rejects with nothing written when the kill switch is engaged while the entry is being prepared (the in-transaction guard)', async () => {
    let setup: PipelineSetup | undefined;
    setup = await pipelineSetup(database().db, {
      wrap: (exchange) =>
        withOverrides(exchange, {
          balance: async () => {
            await engageKillSwitch(setup!);
            return exchange.balance();
          },
        }),
    });
    const id = await readySignal(setup);
    await setup.run('execute', { signal_id: id });
    const [row] = await setup.db.query<{ status: string; status_reason: string }>(
      'select status, status_reason from public.signals where id = $1',
      [id],
    );
    expect(row!.status).toBe('rejected');
    expect(row!.status_reason.toLowerCase()).toContain('kill switch');
    expect(await ordersOf(setup.db, id)).toEqual([]);
    expect(await venueOrders(setup.db, id)).toEqual([]);
  });

  it('resolves a crash after the send by client order id on the retry: exactly one entry order', async () => {
    const setup = await pipelineSetup(database().db, { wrap: crashingOnce('after_send') });
    const id = await readySignal(setup);
    await expect(setup.run('execute', { signal_id: id })).rejects.toThrow('worker killed after send');
    expect((await ordersOf(setup.db, id)).map((o) => [o.leg, o.status])).toEqual([['entry', 'pending']]);

    await setup.run('execute', { signal_id: id }, 2);
    expect((await ordersOf(setup.db, id)).map((o) => [o.leg, o.attempt, o.status])).toEqual([
      ['entry', 1, 'filled'],
    ]);
    expect((await venueOrders(setup.db, id)).map((o) => o.client_order_id)).toEqual([`tf-${id}-e-1`]);
    expect(await setup.status(id)).toBe('in_position');
  });

  it('sends the same order again, under the same client order id, when the crash came before the send', async () => {
    const setup = await pipelineSetup(database().db, {
      wrap: crashingOnce('before_send'),
      deps: { placement: { inFlightMs: 0 } },
    });
    const id = await readySignal(setup);
    await expect(setup.run('execute', { signal_id: id })).rejects.toThrow('worker killed before send');
    await setup.run('execute', { signal_id: id }, 2);
    expect((await ordersOf(setup.db, id)).map((o) => [o.leg, o.attempt, o.status])).toEqual([
      ['entry', 1, 'filled'],
    ]);
    expect(await venueOrders(setup.db, id)).toHaveLength(1);
    expect(await setup.status(id)).toBe('in_position');
  });
});
