/**
 * Pieces every trading route shares: id and page parameters, decimal inputs, optional JSON
 * bodies, and the translation of the SQLSTATEs our SQL functions raise into HTTP answers.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { SqlClient } from '../../db/sql.ts';
import { HttpError } from '../../http/errors.ts';
import { invalidRequest, parseWith, readJsonBody } from '../validation.ts';

export interface TradingDeps {
  db: SqlClient;
}

const ID = /^[1-9]\d{0,14}$/;

/** A row id in a path, query or body: a positive whole number below 2^53. */
export function idField(what: string) {
  const message = `must be ${what} id (a positive whole number)`;
  return z
    .union([z.string(), z.number()], { error: message })
    .transform((value) => String(value))
    .pipe(z.string().regex(ID, message).transform(Number));
}

export const idParams = z.object({ id: idField('an') });

export function idOf(c: Context): number {
  return parseWith(idParams, c.req.param(), 'path').id;
}

// Money and prices arrive as decimal strings ("250", "99.5"); a JSON number is turned into its
// shortest decimal text so it never passes through a binary float on its way to `numeric`.
const DECIMAL = /^\d{1,20}(\.\d{1,18})?$/;
export const positiveDecimal = z
  .union([z.string(), z.number()], { error: 'must be a positive decimal, such as "250" or "99.5"' })
  .transform((value) => (typeof value === 'number' ? String(value) : value.trim()))
  .pipe(
    z
      .string()
      .regex(DECIMAL, 'must be a positive decimal, such as "250" or "99.5"')
      .refine((text) => /[1-9]/.test(text), 'must be greater than 0'),
  );

/** Keyset pagination, newest first: `cursor` is the last id of the previous page. */
export const pageQuery = {
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 200')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 200, 'must be a whole number from 1 to 200')
    .optional()
    .transform((n) => n ?? 50),
  cursor: z.string().regex(ID, 'must be the next_cursor of the previous page').transform(Number).optional(),
};

/** One page of rows and the cursor of the next (null on the last page). */
export function page<T extends { id: number }>(
  rows: T[],
  limit: number,
): { rows: T[]; next_cursor: number | null } {
  return { rows, next_cursor: rows.length === limit ? rows[rows.length - 1]!.id : null };
}

/** A JSON body that may be left out entirely (POST /emergency-stop, /signals/:id/cancel). */
export async function readOptionalJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if ((await c.req.text()).trim() === '') return parseWith(schema, {}, 'body');
  return readJsonBody(c, schema);
}

export function notFound(what: string, id: number): HttpError {
  return new HttpError(404, 'not_found', `${what} ${id} not found`);
}

export function fieldError(field: string, message: string): HttpError {
  return invalidRequest({ fieldErrors: { [field]: [message] }, formErrors: [] }, message);
}

/**
 * The SQL functions of 20261121008000_emergency_stop.sql raise plain sentences with these
 * SQLSTATEs; they are the caller's fault, so they become 4xx answers carrying the sentence.
 */
export function sqlFunctionError(error: unknown): HttpError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : 'refused';
  switch (code) {
    case 'P0002':
      return new HttpError(404, 'not_found', text);
    case '55000':
      return new HttpError(409, 'conflict', text);
    case '42501':
      return new HttpError(403, 'forbidden', text);
    case '22023':
      return new HttpError(400, 'invalid_request', text);
    default:
      return undefined;
  }
}

/**
 * `timestamptz` as JSON. 'infinity' (an indefinite halt) is no JS Date — both drivers give an
 * Invalid Date, which JSON would turn into null, i.e. "not halted" — so SQL renders it first.
 */
export function timestampSql(column: string, alias = column): string {
  return `case when ${column} is null then null
               when not isfinite(${column}) then ${column}::text
               else to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end as ${alias}`;
}
