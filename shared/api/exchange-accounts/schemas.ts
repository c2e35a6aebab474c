/**
 * The shapes the exchange accounts API accepts. Field names follow the table's columns
 * (snake_case), the same names supabase-js clients and Realtime payloads use.
 */
import { z } from 'zod';

// Money arrives as a decimal string ("250", "99.5"); a JSON number is accepted and turned into
// its shortest decimal text, so it is never stored through a binary float.
const DECIMAL = /^\d{1,20}(\.\d{1,18})?$/;
const positiveDecimal = z
  .union([z.string(), z.number()], { error: 'must be a positive decimal, such as "250" or "99.5"' })
  .transform((value) => (typeof value === 'number' ? String(value) : value.trim()))
  .pipe(
    z
      .string()
      .regex(DECIMAL, 'must be a positive decimal, such as "250" or "99.5"')
      .refine((text) => /[1-9]/.test(text), 'must be greater than 0'),
  );

const label = z
  .string({ error: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

// Lengths generous for every exchange (RSA/Ed25519 private keys as secrets run to a few KB).
const apiKey = z
  .string({ error: 'is required (text)' })
  .trim()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters');
const secret = z
  .string({ error: 'is required (text)' })
  .trim()
  .min(1, 'must not be empty')
  .max(8192, 'must be at most 8192 characters');
const password = z
  .string({ error: 'must be text' })
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters');

export const accountIdParams = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, 'must be an account id (a positive whole number)')
    .transform(Number),
});

export const listQuery = z.object({
  include_deleted: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((value) => value === 'true'),
});

export function createAccountBody(exchangeIds: readonly string[]) {
  const exchange = z
    .string({ error: 'is required: an exchange id ccxt supports, such as binance, coinbase or kraken' })
    .refine(
      (id) => exchangeIds.includes(id),
      'must be an exchange id ccxt supports, such as binance, coinbase or kraken',
    );
  const paper = z.strictObject({
    mode: z.literal('paper'),
    // A paper account simulates a venue; it may name the exchange whose markets it follows.
    exchange: z.union([z.literal('paper'), exchange]).optional(),
    label: label.optional(),
    max_order_notional: positiveDecimal.optional(),
  });
  const keyed = z.strictObject({
    mode: z.enum(['testnet', 'live']),
    exchange,
    label: label.optional(),
    max_order_notional: positiveDecimal.optional(),
    api_key: apiKey,
    secret,
    password: password.optional(),
  });
  return z.discriminatedUnion('mode', [paper, keyed], {
    error: 'must be paper, testnet or live',
  });
}

export const updateAccountBody = z
  .strictObject({
    label: label.optional(),
    max_order_notional: positiveDecimal.nullable().optional(),
  })
  .refine((body) => body.label !== undefined || body.max_order_notional !== undefined, {
    message: 'give label or max_order_notional (null removes the limit)',
  });

export const rotateKeysBody = z.strictObject({
  api_key: apiKey,
  secret,
  password: password.optional(),
});

export type CreateAccountBody = z.output<ReturnType<typeof createAccountBody>>;
export type UpdateAccountBody = z.output<typeof updateAccountBody>;
export type RotateKeysBody = z.output<typeof rotateKeysBody>;
