import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_ORDER_ID_PATTERN,
  clientOrderIdFor,
  type OrderLeg,
  parseClientOrderId,
} from '../../../shared/exchange/client-order-id.ts';

const LEGS: OrderLeg[] = ['entry', 'stop_loss', 'take_profit', 'exit'];

describe('client order ids', () => {
  it('reads tf-<intent>-<leg code>-<attempt> for a small intent id', () => {
    expect(clientOrderIdFor({ intentId: 42, leg: 'entry', attempt: 1 })).toBe('tf-42-e-1');
    expect(clientOrderIdFor({ intentId: 42, leg: 'stop_loss', attempt: 2 })).toBe('tf-42-sl-2');
    expect(clientOrderIdFor({ intentId: 42, leg: 'take_profit', attempt: 1 })).toBe('tf-42-tp-1');
    expect(clientOrderIdFor({ intentId: 42, leg: 'exit', attempt: 3 })).toBe('tf-42-x-3');
  });

  it('gives the same id for the same intent, leg and attempt, every time', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ minLength: 1 }), fc.nat()),
        fc.constantFrom(...LEGS),
        fc.integer({ min: 1, max: 9999 }),
        (intentId, leg, attempt) => {
          expect(clientOrderIdFor({ intentId, leg, attempt })).toBe(
            clientOrderIdFor({ intentId, leg, attempt }),
          );
        },
      ),
    );
  });

  it('gives different ids to different legs and attempts of one intent', () => {
    const ids = new Set<string>();
    for (const leg of LEGS)
      for (let attempt = 1; attempt <= 50; attempt++)
        ids.add(clientOrderIdFor({ intentId: 'a1b2c3', leg, attempt }));
    expect(ids.size).toBe(LEGS.length * 50);
  });

  it('stays within 36 characters of [A-Za-z0-9._:-] for huge ids, uuids and odd characters', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ minLength: 1, maxLength: 300 }),
          fc.uuid(),
          fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
        ),
        fc.constantFrom(...LEGS),
        fc.integer({ min: 1, max: 9999 }),
        (intentId, leg, attempt) => {
          const id = clientOrderIdFor({ intentId, leg, attempt });
          expect(id).toMatch(CLIENT_ORDER_ID_PATTERN);
          expect(id.length).toBeLessThanOrEqual(36);
        },
      ),
    );
  });

  it('never gives two different intents the same id (verbatim, hashed, and mixed)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.oneof(fc.string({ minLength: 1, maxLength: 60 }), fc.uuid()), {
          minLength: 2,
          maxLength: 40,
        }),
        (intents) => {
          const ids = intents.map((intentId) => clientOrderIdFor({ intentId, leg: 'entry', attempt: 1 }));
          expect(new Set(ids).size).toBe(intents.length);
        },
      ),
    );
  });

  it('hashes a uuid intent but keeps a readable head of it', () => {
    const id = clientOrderIdFor({
      intentId: '3f2a9c1e-8b7d-4e6f-a5b4-c3d2e1f0a9b8',
      leg: 'take_profit',
      attempt: 12,
    });
    expect(id).toMatch(/^tf-3f2a9c1e8b7d4\.[0-9a-z]{13}-tp-12$/);
    expect(id.length).toBeLessThanOrEqual(36);
  });

  it('keeps the largest bigint signal id verbatim', () => {
    expect(clientOrderIdFor({ intentId: '9223372036854775807', leg: 'stop_loss', attempt: 9999 })).toBe(
      'tf-9223372036854775807-sl-9999',
    );
  });

  it('separates deployments that share an exchange account by prefix', () => {
    expect(clientOrderIdFor({ intentId: 7, leg: 'entry', attempt: 1, prefix: 'stg' })).toBe('stg-7-e-1');
    expect(() => clientOrderIdFor({ intentId: 7, leg: 'entry', attempt: 1, prefix: 'no-dash' })).toThrow(
      /prefix/,
    );
  });

  it('refuses attempts outside 1..9999 and an empty intent', () => {
    expect(() => clientOrderIdFor({ intentId: 7, leg: 'entry', attempt: 0 })).toThrow(/attempt/);
    expect(() => clientOrderIdFor({ intentId: 7, leg: 'entry', attempt: 10_000 })).toThrow(/attempt/);
    expect(() => clientOrderIdFor({ intentId: 7, leg: 'entry', attempt: 1.5 })).toThrow(/attempt/);
    expect(() => clientOrderIdFor({ intentId: '', leg: 'entry', attempt: 1 })).toThrow(/empty/);
  });

  it('parses its own ids back, and nothing else', () => {
    expect(parseClientOrderId('tf-42-sl-3')).toEqual({
      prefix: 'tf',
      intent: '42',
      hashed: false,
      leg: 'stop_loss',
      attempt: 3,
    });
    const hashed = clientOrderIdFor({ intentId: 'x'.repeat(80), leg: 'exit', attempt: 1 });
    expect(parseClientOrderId(hashed)).toMatchObject({ hashed: true, leg: 'exit', attempt: 1 });
    expect(parseClientOrderId('web_12345')).toBeNull();
    expect(parseClientOrderId('tf-42-zz-1')).toBeNull();
  });
});
