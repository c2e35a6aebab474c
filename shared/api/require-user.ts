/**
 * Authentication: every route behind this middleware needs `Authorization: Bearer <user JWT>`.
 * The verified user id is what `asUser` runs database work as, so RLS decides what is visible.
 */
import type { MiddlewareHandler } from 'hono';
import { AuthError, type AuthenticatedUser, type TokenVerifier } from '../auth/jwt.ts';
import { HttpError } from '../http/errors.ts';

export type UserVariables = { user: AuthenticatedUser };

export function requireUser(verifyToken: TokenVerifier): MiddlewareHandler<{ Variables: UserVariables }> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      c.header('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'unauthorized', 'a bearer token (the user access token) is required');
    }
    try {
      c.set('user', await verifyToken(match[1]!));
    } catch (error) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      const reason = error instanceof AuthError ? error.message : 'the token could not be verified';
      throw new HttpError(401, 'unauthorized', reason);
    }
    await next();
  };
}
