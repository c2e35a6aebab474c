/**
 * The stored form of an encrypted secret: a small JSON object, kept in a `jsonb` column as is or
 * in a `text` column through `serializeEnvelope`. Everything needed to decrypt, except the
 * master key and the row's ids, travels in it: the master key version, the per-user HKDF salt,
 * the IV, and the AES-GCM output (ciphertext followed by its 16-byte tag), all base64.
 */
import { z } from 'zod';
import { base64ToBytes } from './encoding.ts';
import { VaultError } from './errors.ts';

export const ENVELOPE_FORMAT = 1;
export const IV_BYTES = 12; // 96 bits: the IV size GCM is specified for (NIST SP 800-38D)
export const TAG_BYTES = 16;
export const MIN_SALT_BYTES = 16;

export type VaultEnvelope = {
  format: typeof ENVELOPE_FORMAT;
  keyVersion: number;
  salt: string;
  iv: string;
  ciphertext: string;
};

const base64Field = (minBytes: number, maxBytes = Number.POSITIVE_INFINITY) =>
  z.string().refine(
    (text) => {
      const bytes = base64ToBytes(text);
      return bytes !== undefined && bytes.length >= minBytes && bytes.length <= maxBytes;
    },
    `must be base64 of ${minBytes === maxBytes ? minBytes : `at least ${minBytes}`} bytes`,
  );

const envelopeSchema = z.strictObject({
  format: z.literal(ENVELOPE_FORMAT),
  keyVersion: z.number().int().positive(),
  salt: base64Field(MIN_SALT_BYTES),
  iv: base64Field(IV_BYTES, IV_BYTES),
  ciphertext: base64Field(TAG_BYTES),
});

/** Validates an envelope read from the database (`jsonb` object or `text`). */
export function parseEnvelope(input: unknown): VaultEnvelope {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new VaultError('envelope_invalid', 'stored credentials are not a vault envelope: not JSON');
    }
  }
  const result = envelopeSchema.safeParse(value);
  if (!result.success) {
    // Field names and rules only: the issue list never quotes the stored values.
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || 'envelope'} ${issue.message}`,
    );
    throw new VaultError(
      'envelope_invalid',
      `stored credentials are not a vault envelope: ${problems.join('; ')}`,
    );
  }
  return result.data as VaultEnvelope;
}

export function serializeEnvelope(envelope: VaultEnvelope): string {
  return JSON.stringify({
    format: envelope.format,
    keyVersion: envelope.keyVersion,
    salt: envelope.salt,
    iv: envelope.iv,
    ciphertext: envelope.ciphertext,
  });
}
