/**
 * The one database interface the core uses, whatever runs underneath: postgres.js against
 * Supabase or any PostgreSQL (Edge Functions, Node), or PGlite embedded (local platform, tests).
 *
 * Value conventions, identical across drivers: `numeric` → decimal string (money is never a
 * float), `bigint` → number (ids stay far below 2^53), `timestamptz` → Date, `jsonb` → value.
 * Pass a jsonb parameter as the value itself (an object), never pre-serialised: both drivers
 * serialise it, and a string would be stored as a JSON string.
 */
export type Row = Record<string, unknown>;

export interface SqlQueryable {
  /** One parameterised statement ($1, $2, …). */
  query<T = Row>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements without parameters, such as a migration file. */
  exec(script: string): Promise<void>;
}

export interface SqlClient extends SqlQueryable {
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Runs `fn` in a transaction as an end user, so that RLS applies (as PostgREST does it). */
export async function asUser<T>(
  db: SqlClient,
  userId: string,
  fn: (tx: SqlQueryable) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query(
      `select set_config('role', 'authenticated', true),
              set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ sub: userId, role: 'authenticated' })],
    );
    return fn(tx);
  });
}
