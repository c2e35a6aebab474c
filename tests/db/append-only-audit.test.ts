import { beforeAll, expect, it } from 'vitest';
import { fill, order, paperAccount, signal, trader } from '../support/builders.ts';
import { createUser, describeOnEachBackend } from '../support/databases.ts';

const AUDIT_TABLES = ['signal_events', 'signal_monitoring_snapshots', 'order_events', 'trade_executions'];

describeOnEachBackend('append-only audit', (database) => {
  beforeAll(async () => {
    const { db } = database();
    const owner = await createUser(db);
    const accountId = await paperAccount(db, owner);
    const signalId = await signal(db, owner, await trader(db, owner, accountId));
    await db.query(
      `insert into public.signal_monitoring_snapshots (owner, signal_id, decision, price) values ($1, $2, 'wait', 100)`,
      [owner, signalId],
    );
    const orderId = await order(db, owner, accountId);
    await fill(db, owner, orderId, accountId, 'audit-trade-1');
  });

  const as = (role: string | null, statement: string) =>
    database().db.transaction(async (tx) => {
      if (role) await tx.query(`select set_config('role', $1, true)`, [role]);
      return tx.query(statement);
    });

  for (const table of AUDIT_TABLES) {
    it(`refuses UPDATE, DELETE and TRUNCATE on ${table} for the service role and the owner`, async () => {
      for (const role of ['service_role', null]) {
        await expect(as(role, `update public.${table} set created_at = now()`)).rejects.toThrow(
          `public.${table} is append-only: update is not allowed`,
        );
        await expect(as(role, `delete from public.${table}`)).rejects.toThrow(
          `public.${table} is append-only: delete is not allowed`,
        );
      }
      await expect(as(null, `truncate public.${table} cascade`)).rejects.toThrow(/append-only: truncate/);
      const [count] = await database().db.query<{ n: number }>(
        `select count(*)::int as n from public.${table}`,
      );
      expect(count!.n).toBeGreaterThan(0);
    });

    it(`still refuses changes to ${table} when triggers are bypassed for replication`, async () => {
      const attempt = database().db.transaction(async (tx) => {
        await tx.query(`set local session_replication_role = replica`);
        return tx.query(`delete from public.${table}`);
      });
      await expect(attempt).rejects.toThrow('append-only');
    });
  }
});
