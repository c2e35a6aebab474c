/**
 * How failures leave the API: `{ error: { code, message, details? } }` with the right status,
 * never a stack trace. Unexpected errors are logged by name and message only, and answered as a
 * bare 500; the log line never carries request bodies (which may hold API secrets).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { HttpError } from '../http/errors.ts';

export type ApiLog = (message: string) => void;

/** SQLSTATE classes that mean "this input breaks a database rule", not "the server broke". */
function databaseRuleError(error: unknown): HttpError | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  if (code.startsWith('22')) {
    return new HttpError(400, 'invalid_request', 'a value is out of range or malformed for the database');
  }
  if (code.startsWith('23')) {
    return new HttpError(409, 'conflict', 'the change conflicts with existing data');
  }
  return undefined;
}

export function errorResponder(log: ApiLog) {
  return (error: Error, c: Context) => {
    const known = error instanceof HttpError ? error : databaseRuleError(error);
    if (known) return c.json(known.toBody(), known.status);
    if (error instanceof HTTPException && error.status < 500) {
      return c.json(
        { error: { code: 'bad_request', message: error.message || 'bad request' } },
        error.status,
      );
    }
    log(`api: ${c.req.method} ${c.req.routePath} failed: ${error.name}: ${error.message}`);
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  };
}

export function notFound(c: Context) {
  return c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
}
