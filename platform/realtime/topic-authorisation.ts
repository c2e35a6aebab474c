/**
 * May this subscriber read a private topic? Decided exactly where Supabase decides it: by the
 * RLS policies on `realtime.messages`, evaluated as the subscriber (their role and JWT claims)
 * with `realtime.topic()` returning the topic being joined.
 *
 * A plain `select … where topic = $1` as the user would say "no" whenever the topic has no
 * message yet, so the check evaluates the policy against a probe row instead: inserted with
 * the gateway's own (owner) rights, selected as the user, and rolled back, so nobody ever sees
 * it and no NOTIFY is raised (only `realtime.send` notifies).
 */
import type { SqlClient } from '../../shared/db/sql.ts';
import type { AccessClaims } from './access-token.ts';

class ProbeRollback extends Error {
  constructor(readonly readable: boolean) {
    super('probe rolled back');
  }
}

export async function mayReadTopic(db: SqlClient, claims: AccessClaims, topic: string): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      const [probe] = await tx.query<{ id: number }>(
        `insert into realtime.messages (topic, extension, event, payload, private)
         values ($1, 'broadcast', 'authorisation_probe', '{}'::jsonb, true) returning id`,
        [topic],
      );
      await tx.query(
        `select set_config('role', $1, true),
                set_config('request.jwt.claims', $2, true),
                set_config('realtime.topic', $3, true)`,
        [claims.role ?? 'anon', JSON.stringify(claims), topic],
      );
      const visible = await tx.query('select 1 from realtime.messages where id = $1', [probe?.id]);
      throw new ProbeRollback(visible.length > 0);
    });
  } catch (error) {
    if (error instanceof ProbeRollback) return error.readable;
    throw error;
  }
  throw new Error('unreachable: the probe transaction always rolls back');
}
