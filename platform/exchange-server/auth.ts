/**
 * API keys and request signatures, the way Binance checks them for SIGNED endpoints.
 *
 * The server cannot learn a secret from a request (only its HMAC travels), so:
 * - a key registered with a secret (`registerAccount`, `--key KEY:SECRET`, or
 *   `POST /__control/accounts`) has every signature verified: HMAC-SHA256 of the query string plus
 *   body without the `signature` parameter, as Binance computes it;
 * - any other well-formed key is accepted on first use (its account is created and funded) and
 *   its signature must be present and shaped like an HMAC-SHA256 (64 hex digits), unless the
 *   server runs with `strictApiKeys`, which answers -2015 to keys it does not know;
 * - revoked keys answer -2015.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type BinanceError, errors } from './binance-errors.ts';

const KEY_FORMAT = /^[A-Za-z0-9_-]{1,128}$/;
const HMAC_FORMAT = /^[0-9a-fA-F]{64}$/;

export class ApiKeys {
  private readonly secrets = new Map<string, string>();
  private readonly revoked = new Set<string>();
  private readonly strict: boolean;

  constructor(strict = false) {
    this.strict = strict;
  }

  register(apiKey: string, secret: string | undefined): void {
    if (secret !== undefined) this.secrets.set(apiKey, secret);
    this.revoked.delete(apiKey);
  }

  revoke(apiKey: string): void {
    this.revoked.add(apiKey);
  }

  /**
   * Returns the error Binance would answer, or undefined when the request is authentic.
   * `signedPayload` is everything the client signed: query string and body, signature removed.
   */
  check(
    apiKey: string | undefined,
    signedPayload: string,
    signature: string | undefined,
  ): BinanceError | undefined {
    if (apiKey === undefined || !KEY_FORMAT.test(apiKey)) return errors.apiKeyFormat();
    if (this.revoked.has(apiKey)) return errors.invalidApiKey();
    const secret = this.secrets.get(apiKey);
    if (secret === undefined && this.strict) return errors.invalidApiKey();
    if (signature === undefined || signature === '') return errors.mandatory('signature');
    if (secret === undefined) return HMAC_FORMAT.test(signature) ? undefined : errors.badSignature();
    const expected = createHmac('sha256', secret).update(signedPayload).digest();
    const given = Buffer.from(signature, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return errors.badSignature();
    return undefined;
  }
}

/**
 * What the client signed: the raw query string followed by the raw body, minus the
 * `signature=` parameter (Binance's "totalParams").
 */
export function signedPayload(rawQuery: string, rawBody: string): string {
  const total = rawQuery && rawBody ? `${rawQuery}${rawBody}` : rawQuery || rawBody;
  return total
    .split('&')
    .filter((pair) => !pair.startsWith('signature='))
    .join('&');
}
