import { describe, expect, it } from 'vitest';
import { pipelineDepsFromEnv } from '../../../shared/pipeline/env.ts';

describe('the worker configuration', () => {
  it('refuses an order in-flight window shorter than twice the exchange timeout', async () => {
    await expect(
      pipelineDepsFromEnv({ TRADEFLOW_EXCHANGE_TIMEOUT_MS: '3000', TRADEFLOW_ORDER_IN_FLIGHT_MS: '5000' }),
    ).rejects.toThrow(
      'TRADEFLOW_ORDER_IN_FLIGHT_MS (5000) must be at least twice the exchange timeout (3000 ms)',
    );
  });

  it('refuses a timeout that is not a positive whole number', async () => {
    await expect(pipelineDepsFromEnv({ TRADEFLOW_EXCHANGE_TIMEOUT_MS: 'soon' })).rejects.toThrow(
      'TRADEFLOW_EXCHANGE_TIMEOUT_MS must be a positive whole number of milliseconds, got "soon"',
    );
  });

  it('passes the in-flight window to placement, and leaves the defaults alone when unset', async () => {
    const tuned = await pipelineDepsFromEnv({
      TRADEFLOW_EXCHANGE_TIMEOUT_MS: '2000',
      TRADEFLOW_ORDER_IN_FLIGHT_MS: '5000',
    });
    expect(tuned.placement).toEqual({ inFlightMs: 5000 });
    expect((await pipelineDepsFromEnv({})).placement).toBeUndefined();
  });
});
