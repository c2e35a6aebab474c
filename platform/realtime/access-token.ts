/**
 * Verifies the access token a client sends in `phx_join` / `access_token` pushes, as Supabase
 * Realtime does locally: HS256 signed with the project's JWT secret. The reasons mirror the
 * prefixes the hosted server uses (`InvalidJWTToken: …`) so that client code matching them
 * behaves the same here.
 */
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export interface AccessClaims extends JWTPayload {
  role?: string;
}

export type TokenCheck = { ok: true; claims: AccessClaims } | { ok: false; reason: string };

/** Roles a token may switch into when its RLS is evaluated; anything else is refused. */
const DATABASE_ROLES = new Set(['anon', 'authenticated', 'service_role']);

export async function verifyAccessToken(token: string, secret: Uint8Array, now: Date): Promise<TokenCheck> {
  try {
    const { payload } = await jwtVerify<AccessClaims>(token, secret, {
      algorithms: ['HS256'],
      currentDate: now,
    });
    const role = payload.role ?? 'anon';
    if (!DATABASE_ROLES.has(role)) return { ok: false, reason: `InvalidJWTToken: unknown role ${role}` };
    return { ok: true, claims: { ...payload, role } };
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      const exp = Number(error.payload.exp);
      const ago = Math.max(0, Math.round(now.getTime() / 1000 - exp));
      return { ok: false, reason: `InvalidJWTToken: Token has expired ${ago} seconds ago` };
    }
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `InvalidJWTToken: ${message}` };
  }
}

/** Milliseconds until the token expires; undefined when it carries no `exp`. */
export function millisUntilExpiry(claims: AccessClaims, now: Date): number | undefined {
  return typeof claims.exp === 'number' ? claims.exp * 1000 - now.getTime() : undefined;
}

/** Signs a user's access token the way Supabase Auth shapes it (local stack, probes, tests). */
export async function signAccessToken(
  secret: string,
  userId: string,
  options: { expiresInSeconds?: number; role?: string; now?: Date } = {},
): Promise<string> {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT({ role: options.role ?? 'authenticated', aud: 'authenticated' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.expiresInSeconds ?? 3600))
    .sign(new TextEncoder().encode(secret));
}
