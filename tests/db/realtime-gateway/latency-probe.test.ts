import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureDbToClientLatency } from '../../../platform/realtime/latency-probe.ts';
import { BACKENDS } from '../../support/databases.ts';
import { type GatewayDatabase, gatewayDatabase } from './gateway-fixture.ts';

describe.each(BACKENDS)('realtime latency probe (%s)', (backend) => {
  let database: GatewayDatabase;

  beforeAll(async () => {
    database = await gatewayDatabase(backend);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('measures database change → supabase-js callback for every update it makes', async () => {
    const figures = await measureDbToClientLatency({
      db: database.db,
      listen: database.listen,
      updates: 40,
      warmup: 5,
    });
    expect(figures.samples).toBe(40);
    expect(figures.p50).toBeGreaterThan(0);
    expect(figures.p99).toBeGreaterThanOrEqual(figures.p50);
    expect(figures.max).toBeGreaterThanOrEqual(figures.p99);
  });
});
