import { beforeAll, expect, it } from 'vitest';
import { order, paperAccount } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

describeOnEachBackend('order status machine', (database) => {
  let owner: string;
  let accountId: number;

  beforeAll(async () => {
    const { db } = database();
    owner = await createUser(db);
    accountId = await paperAccount(db, owner);
  });

  const setOrder = (id: number, fields: { status?: string; filled?: string }) =>
    database().db.query(
      `update public.orders set status = coalesce($2, status), filled_amount = coalesce($3::numeric, filled_amount)
        where id = $1`,
      [id, fields.status ?? null, fields.filled ?? null],
    );

  it('records an order event on insert, on every status change and on every fill change', async () => {
    const { db } = database();
    const id = await order(db, owner, accountId, { amount: '1', type: 'limit', price: '100' });
    await setOrder(id, { status: 'open' });
    await setOrder(id, { status: 'partially_filled', filled: '0.25' });
    await setOrder(id, { filled: '0.6' });
    await setOrder(id, { status: 'filled', filled: '1' });
    const trail = await db.query<{ from_status: string | null; to_status: string; filled_amount: string }>(
      'select from_status, to_status, filled_amount from public.order_events where order_id = $1 order by id',
      [id],
    );
    expect(trail).toEqual([
      { from_status: null, to_status: 'pending', filled_amount: '0' },
      { from_status: 'pending', to_status: 'open', filled_amount: '0' },
      { from_status: 'open', to_status: 'partially_filled', filled_amount: '0.25' },
      { from_status: 'partially_filled', to_status: 'partially_filled', filled_amount: '0.6' },
      { from_status: 'partially_filled', to_status: 'filled', filled_amount: '1' },
    ]);
  });

  it('refuses an illegal status change with a message naming both states', async () => {
    const { db } = database();
    const id = await order(db, owner, accountId, { clientOrderId: 'tf-illegal-1' });
    await setOrder(id, { status: 'cancelled' });
    await expect(setOrder(id, { status: 'open' })).rejects.toThrow(
      'order tf-illegal-1: cannot go from cancelled to open',
    );
  });

  it('refuses a filled amount that goes down or exceeds the order amount', async () => {
    const { db } = database();
    const id = await order(db, owner, accountId, { clientOrderId: 'tf-fills-1', amount: '1' });
    await setOrder(id, { status: 'partially_filled', filled: '0.5' });
    await expect(setOrder(id, { filled: '0.4' })).rejects.toThrow('filled amount cannot go down (0.5 → 0.4)');
    await expect(setOrder(id, { filled: '1.5' })).rejects.toThrow(/filled_within_amount/);
    await expect(setOrder(id, { status: 'filled' })).rejects.toThrow(/filled_means_all/);
  });

  it('refuses a second order with the same client order id', async () => {
    const { db } = database();
    await order(db, owner, accountId, { clientOrderId: 'tf-dup-1' });
    await expect(order(db, owner, accountId, { clientOrderId: 'tf-dup-1' })).rejects.toThrow(/duplicate key/);
  });

  it('resolves an unknown outcome only through reconciliation states', async () => {
    const { db } = database();
    const id = await order(db, owner, accountId, { clientOrderId: 'tf-unknown-1' });
    await setOrder(id, { status: 'unknown' });
    await setOrder(id, { status: 'filled', filled: '0.5' });
    const [row] = await db.query<{ status: string; closed_at: Date | null }>(
      'select status, closed_at from public.orders where id = $1',
      [id],
    );
    expect(row!.status).toBe('filled');
    expect(row!.closed_at).toBeInstanceOf(Date);
  });

  it('keeps at most one open position per account and symbol', async () => {
    const { db } = database();
    const insert = () =>
      db.query(
        `insert into public.positions (owner, account_id, symbol, side, amount, entry_price)
         values ($1, $2, 'SOL/USDT', 'long', '1', '10')`,
        [owner, accountId],
      );
    await insert();
    await expect(insert()).rejects.toThrow(/positions_one_open_per_symbol/);
  });
});
