/**
 * Verifying the caller's Supabase access token (a JWT) with `jose`.
 *
 * Supabase signs user tokens either with the project's shared JWT secret (HS256, the legacy
 * scheme and what the local stack uses) or with asymmetric signing keys published at
 * `<SUPABASE_URL>/auth/v1/.well-known/jwks.json`. During a migration between the two a project
 * sees both, so the token's own `alg` picks the key: HS256 → the secret, anything else → the
 * JWKS. Algorithms are pinned per key, so a token cannot choose a weaker check (e.g. an HS256
 * token "signed" with a public key).
 */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';

export interface AuthConfig {
  /** The project's JWT secret (`SUPABASE_JWT_SECRET`), for HS256 tokens. */
  jwtSecret?: string;
  /** The project URL (`SUPABASE_URL`); its JWKS verifies asymmetric tokens. */
  supabaseUrl?: string;
  /** A key set to use instead of fetching `supabaseUrl`'s (tests, custom deployments). */
  jwks?: JWTVerifyGetKey;
}

export interface AuthenticatedUser {
  userId: string;
  claims: JWTPayload & { role?: unknown; email?: unknown };
}

export type TokenVerifier = (token: string) => Promise<AuthenticatedUser>;

/** Why a token was refused; the message is safe to return to the caller. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
}

// The algorithms Supabase Auth signs with (https://supabase.com/docs/guides/auth/signing-keys).
const ASYMMETRIC_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Tolerated clock difference between Supabase Auth and this function.
const CLOCK_TOLERANCE_SECONDS = 5;

export function jwksUrl(supabaseUrl: string): URL {
  return new URL('/auth/v1/.well-known/jwks.json', supabaseUrl);
}

export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks =
    config.jwks ?? (config.supabaseUrl ? createRemoteJWKSet(jwksUrl(config.supabaseUrl)) : undefined);
  if (!secret && !jwks) {
    throw new Error('auth: set SUPABASE_JWT_SECRET or SUPABASE_URL so that user tokens can be verified');
  }

  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError('the bearer token is not a JWT');
    }
    let payload: JWTPayload;
    try {
      if (alg === 'HS256') {
        if (!secret) throw new AuthError('HS256 tokens are not accepted by this project');
        ({ payload } = await jwtVerify(token, secret, {
          algorithms: ['HS256'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
        }));
      } else {
        if (!jwks) throw new AuthError(`${alg ?? 'unsigned'} tokens are not accepted by this project`);
        ({ payload } = await jwtVerify(token, jwks, {
          algorithms: ASYMMETRIC_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
        }));
      }
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new AuthError('the token has expired');
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC') {
        throw new AuthError('the token could not be checked against the signing keys');
      }
      throw new AuthError('the token is invalid');
    }
    // Anonymous and service-role tokens are valid Supabase JWTs but not a signed-in user.
    if (payload['role'] !== 'authenticated') {
      throw new AuthError('the token does not belong to a signed-in user');
    }
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) {
      throw new AuthError('the token has no user id');
    }
    return { userId: payload.sub, claims: payload };
  };
}
