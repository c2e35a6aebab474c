/** monitor: snapshots of each evaluation; ready, held without auto-execute, or expired. */
import { expect, it } from 'vitest';
import { describeOnEachBackend } from '../../support/databases.ts';
import { at, pipelineSetup } from './support.ts';

describeOnEachBackend('monitor', (database) => {
  it('expires a monitoring signal whose time to live has passed, with an expire snapshot', async () => {
    const setup = await pipelineSetup(database().db);
    const id = await setup.signal({ expiresAt: at(79) });
    await setup.run('analyse', { signal_id: id });
    await setup.run('monitor');
    expect(await setup.status(id)).toBe('expired');
    const snapshots = await setup.db.query<{ decision: string }>(
      'select decision from public.signal_monitoring_snapshots where signal_id = $1',
      [id],
    );
    expect(snapshots).toEqual([{ decision: 'expire' }]);
  });

  it('holds a signal whose conditions are met when the trader does not auto-execute, and says why', async () => {
    const setup = await pipelineSetup(database().db);
    await setup.db.query('update public.traders set auto_execute = false where id = $1', [setup.traderId]);
    const id = await setup.signal();
    await setup.run('analyse', { signal_id: id });
    await setup.run('monitor');
    expect(await setup.status(id)).toBe('monitoring');
    const [snapshot] = await setup.db.query<{ decision: string; reason: string }>(
      `select decision, inputs->>'reason' as reason from public.signal_monitoring_snapshots where signal_id = $1`,
      [id],
    );
    expect(snapshot).toEqual({ decision: 'wait', reason: expect.stringContaining('does not auto-execute') });
  });

  it('evaluates a signal again only after its trader’s interval', async () => {
    const setup = await pipelineSetup(database().db);
    await setup.db.query('update public.traders set auto_execute = false where id = $1', [setup.traderId]);
    const id = await setup.signal();
    await setup.run('analyse', { signal_id: id });
    await setup.run('monitor');
    await setup.run('monitor');
    setup.clock.now += 60_000;
    await setup.run('monitor');
    const [count] = await setup.db.query<{ n: number }>(
      'select count(*)::int as n from public.signal_monitoring_snapshots where signal_id = $1',
      [id],
    );
    expect(count!.n).toBe(2);
  });
});
