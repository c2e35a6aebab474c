/**
 * Request validation with zod. Bad input becomes a 400 whose details name each field and what
 * is wrong with it (`{ fieldErrors: { label: ['…'] }, formErrors: ['…'] }`), so a client can put
 * the message next to the field. Messages describe the rule, never echo the value (a
 * misplaced API secret must not come back in an error body).
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from '../http/errors.ts';

export interface FieldErrors {
  fieldErrors: Record<string, string[]>;
  formErrors: string[];
}

export function fieldErrorsOf(error: z.ZodError): FieldErrors {
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  const add = (field: string, message: string) => {
    const list = fieldErrors[field] ?? [];
    if (!list.includes(message)) list.push(message);
    fieldErrors[field] = list;
  };
  for (const issue of error.issues) {
    const prefix = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) add(prefix ? `${prefix}.${key}` : key, 'is not a field of this request');
    } else if (prefix) {
      add(prefix, issue.message);
    } else {
      formErrors.push(issue.message);
    }
  }
  return { fieldErrors, formErrors };
}

export function invalidRequest(details: FieldErrors, message = 'the request is invalid'): HttpError {
  return new HttpError(400, 'invalid_request', message, details);
}

/** Parses `input` (path parameters, query, body) or throws the 400. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest(fieldErrorsOf(result.error), `the request ${what} is invalid`);
  return result.data;
}

/** The JSON body, validated. An empty or malformed body is a 400, like any other bad input. */
export async function readJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = text.trim() === '' ? undefined : JSON.parse(text);
  } catch {
    throw invalidRequest(
      { fieldErrors: {}, formErrors: ['the body must be JSON'] },
      'the request body is not JSON',
    );
  }
  if (body === undefined) {
    throw invalidRequest(
      { fieldErrors: {}, formErrors: ['a JSON body is required'] },
      'the request body is empty',
    );
  }
  return parseWith(schema, body, 'body');
}
