/**
 * Alerts a user must know about. Each is raised once per (owner, kind, subject) while it is
 * unacknowledged — the risk sweep runs every minute and sees the same problem every time —
 * which a unique partial index enforces (migration 20261121007000_pipeline.sql).
 */
import type { SqlQueryable } from '../db/sql.ts';

export interface AlertInput {
  owner: string;
  traderId?: number | null;
  severity: 'info' | 'warning' | 'critical';
  /** A stable word: order_failed, exchange_disconnected, position_max_loss, … */
  kind: string;
  /** What the alert is about (`order:42`, `account:7`); the dedupe key with owner and kind. */
  subject: string;
  message: string;
  context?: Record<string, unknown>;
}

/** True when a new alert was written, false when an equal one is still open. */
export async function raiseAlert(db: SqlQueryable, alert: AlertInput): Promise<boolean> {
  const rows = await db.query(
    `insert into public.alerts (owner, trader_id, severity, kind, message, context)
     values ($1, $2, $3, $4, $5, $6::jsonb)
     on conflict (owner, kind, (context ->> 'subject')) where acknowledged_at is null and context ? 'subject'
     do nothing
     returning id`,
    [
      alert.owner,
      alert.traderId ?? null,
      alert.severity,
      alert.kind,
      alert.message.slice(0, 2000),
      { ...alert.context, subject: alert.subject },
    ],
  );
  return rows.length > 0;
}
