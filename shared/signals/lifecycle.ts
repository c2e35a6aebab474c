/**
 * The signal lifecycle's vocabulary, in one place (the database enforces the transitions:
 * internal.signal_transitions):
 *
 *   new → analyzing → monitoring → ready → in_position → closed
 *   exits: rejected | expired | cancelled | failed
 */
export const SIGNAL_STATUSES = [
  'new',
  'analyzing',
  'monitoring',
  'ready',
  'in_position',
  'closed',
  'rejected',
  'expired',
  'cancelled',
  'failed',
] as const;

export type SignalStatus = (typeof SIGNAL_STATUSES)[number];

/** Statuses a user may still cancel from (not yet holding a position). */
export const CANCELLABLE_STATUSES: readonly SignalStatus[] = ['new', 'analyzing', 'monitoring', 'ready'];

/** Statuses of a signal that is still being worked on. */
export const ACTIVE_STATUSES: readonly SignalStatus[] = [...CANCELLABLE_STATUSES, 'in_position'];
