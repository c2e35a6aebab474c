/**
 * Deterministic client order ids: the same (order intent, leg, attempt) always gives the same
 * id, and different ones never collide. That is what makes placement exactly-once: after a
 * crash or a timeout the worker asks the exchange for the id it *would* have sent, and the
 * exchange refuses a second order with an id it already holds.
 *
 * Form: `tf-<intent>-<leg code>-<attempt>`, e.g. `tf-42-e-1`, `tf-42-sl-2`. Exchanges accept
 * at most 36 characters from [A-Za-z0-9._:-] (Binance's `newClientOrderId` rule, which is
 * also the check on public.orders.client_order_id). An intent id that does not fit, or that
 * holds other characters, is written as `<readable prefix>.<64-bit FNV-1a hash in base 36>`:
 * the `.` never appears in a verbatim intent, so a hashed id never equals a verbatim one.
 */

export type OrderLeg = 'entry' | 'stop_loss' | 'take_profit' | 'exit';

export interface ClientOrderIdParts {
  /** The order intent (a signal id, a uuid, any stable key). */
  intentId: string | number;
  leg: OrderLeg;
  /** 1 for the first attempt; a retry of the same leg is a new attempt, hence a new id. */
  attempt: number;
  /** Namespace, [A-Za-z0-9]{1,8}; separates deployments sharing one exchange account. Default "tf". */
  prefix?: string;
}

export const CLIENT_ORDER_ID_PATTERN = /^[A-Za-z0-9._:-]{1,36}$/;
export const MAX_CLIENT_ORDER_ID_LENGTH = 36;
export const MAX_ATTEMPT = 9999;

const LEG_CODES: Record<OrderLeg, string> = { entry: 'e', stop_loss: 'sl', take_profit: 'tp', exit: 'x' };
const LEGS_BY_CODE = new Map(Object.entries(LEG_CODES).map(([leg, code]) => [code, leg as OrderLeg]));
const VERBATIM_INTENT = /^[A-Za-z0-9]+$/;
const PREFIX = /^[A-Za-z0-9]{1,8}$/;
const HASH_LENGTH = 13; // 2^64 in base 36

export function clientOrderIdFor(parts: ClientOrderIdParts): string {
  const prefix = parts.prefix ?? 'tf';
  if (!PREFIX.test(prefix)) throw new Error(`client order id prefix must match ${PREFIX}, got "${prefix}"`);
  if (!Number.isInteger(parts.attempt) || parts.attempt < 1 || parts.attempt > MAX_ATTEMPT) {
    throw new Error(`attempt must be an integer from 1 to ${MAX_ATTEMPT}, got ${parts.attempt}`);
  }
  const code = LEG_CODES[parts.leg];
  if (!code) throw new Error(`unknown order leg "${parts.leg}"`);
  const intent = String(parts.intentId);
  if (intent.length === 0) throw new Error('intent id must not be empty');

  const suffix = `-${code}-${parts.attempt}`;
  const room = MAX_CLIENT_ORDER_ID_LENGTH - prefix.length - 1 - suffix.length;
  const intentPart =
    VERBATIM_INTENT.test(intent) && intent.length <= room ? intent : hashedIntent(intent, room);
  return `${prefix}-${intentPart}${suffix}`;
}

/** Reads back prefix, leg and attempt (and the intent, unless it was hashed). Null when not one of ours. */
export function parseClientOrderId(
  id: string,
): { prefix: string; intent: string; hashed: boolean; leg: OrderLeg; attempt: number } | null {
  const match = /^([A-Za-z0-9]{1,8})-([A-Za-z0-9.]+)-([a-z]{1,2})-(\d{1,4})$/.exec(id);
  if (!match) return null;
  const leg = LEGS_BY_CODE.get(match[3]!);
  if (!leg) return null;
  const intent = match[2]!;
  return { prefix: match[1]!, intent, hashed: intent.includes('.'), leg, attempt: Number(match[4]) };
}

function hashedIntent(intent: string, room: number): string {
  const hash = fnv1a64(intent).toString(36).padStart(HASH_LENGTH, '0');
  // Keep a readable head of the intent so a person can still find it in the exchange's UI.
  const head = intent.replace(/[^A-Za-z0-9]/g, '').slice(0, Math.max(0, room - HASH_LENGTH - 1));
  return `${head}.${hash}`;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** FNV-1a over the UTF-8 bytes: tiny, synchronous and identical in every runtime. */
function fnv1a64(text: string): bigint {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash;
}
