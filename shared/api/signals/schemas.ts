/**
 * The shapes the signals API accepts. Field names are the table's columns (snake_case).
 * Levels are checked against the side here, so a long with its stop above its entry is a 400
 * naming the field, not a signal the analyst later rejects.
 */
import { z } from 'zod';
import { dec } from '../../money/decimal.ts';
import { SIGNAL_STATUSES } from '../../signals/lifecycle.ts';
import { idField, pageQuery, positiveDecimal } from '../trading/common.ts';
import { symbolField } from '../trading/traders.ts';

export { SIGNAL_STATUSES };

const side = z.enum(['long', 'short'], { error: 'must be long or short' });

export const createSignalBody = z
  .strictObject({
    trader_id: idField('a trader'),
    symbol: symbolField,
    side,
    entry_price: positiveDecimal.optional(),
    stop_loss: positiveDecimal.optional(),
    take_profit: positiveDecimal.optional(),
    timeframe: z
      .string({ error: 'must be a timeframe such as 5m, 1h or 1d' })
      .regex(/^[1-9][0-9]{0,3}[smhdwM]$/, 'must be a timeframe such as 5m, 1h or 1d')
      .optional(),
    note: z.string({ error: 'must be text' }).max(2000, 'must be at most 2000 characters').optional(),
    expires_at: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, such as 2030-01-01T00:00:00Z' })
      .optional(),
  })
  .superRefine((body, ctx) => {
    // For a long: stop < entry < take profit; for a short the other way round.
    const below = (low: string | undefined, high: string | undefined) =>
      low === undefined || high === undefined || dec(low).lt(dec(high));
    const long = body.side === 'long';
    const under = long ? 'below' : 'above';
    const over = long ? 'above' : 'below';
    const ordered = (a: string | undefined, b: string | undefined) => (long ? below(a, b) : below(b, a));
    if (!ordered(body.stop_loss, body.entry_price)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stop_loss'],
        message: `must be ${under} entry_price for a ${body.side}`,
      });
    }
    if (!ordered(body.entry_price, body.take_profit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['take_profit'],
        message: `must be ${over} entry_price for a ${body.side}`,
      });
    }
    if (!ordered(body.stop_loss, body.take_profit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['take_profit'],
        message: `must be ${over} stop_loss for a ${body.side}`,
      });
    }
  });

export const listSignalsQuery = z.strictObject({
  status: z.enum(SIGNAL_STATUSES, { error: `must be one of ${SIGNAL_STATUSES.join(', ')}` }).optional(),
  trader_id: idField('a trader').optional(),
  symbol: symbolField.optional(),
  ...pageQuery,
});

export const cancelSignalBody = z.strictObject({
  reason: z
    .string({ error: 'must be text' })
    .trim()
    .min(1, 'must not be empty')
    .max(500, 'must be at most 500 characters')
    .optional(),
});

export type CreateSignalBody = z.output<typeof createSignalBody>;
export type ListSignalsQuery = z.output<typeof listSignalsQuery>;
