/**
 * The Phoenix channel frames realtime-js exchanges with a Realtime server, in both serialisers
 * it speaks (see @supabase/realtime-js src/lib/serializer.ts and RealtimeClient's vsn switch):
 *  - vsn 1.0.0: every frame is a JSON object `{join_ref, ref, topic, event, payload}`;
 *  - vsn 2.0.0: text frames are JSON arrays `[join_ref, ref, topic, event, payload]`, and a
 *    client broadcast push (`channel.send({type:'broadcast', …})`) travels as a binary frame
 *    of kind 3 ("user broadcast push").
 */

export type Vsn = '1.0.0' | '2.0.0';
export const SUPPORTED_VSNS: readonly Vsn[] = ['1.0.0', '2.0.0'];

export interface Frame {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** Kind byte of a client broadcast push in a vsn 2.0.0 binary frame. */
const USER_BROADCAST_PUSH = 3;

/** Parses one client frame; `undefined` when it is not a frame this protocol knows. */
export function decodeFrame(vsn: Vsn, data: Buffer, isBinary: boolean): Frame | undefined {
  if (isBinary) return vsn === '2.0.0' ? decodeUserBroadcastPush(data) : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (vsn === '2.0.0') {
    if (!Array.isArray(parsed) || parsed.length !== 5) return undefined;
    const [join_ref, ref, topic, event, payload] = parsed as unknown[];
    return frame(join_ref, ref, topic, event, payload);
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { join_ref, ref, topic, event, payload } = parsed as Record<string, unknown>;
  return frame(join_ref, ref, topic, event, payload);
}

export function encodeFrame(vsn: Vsn, f: Frame): string {
  return vsn === '2.0.0'
    ? JSON.stringify([f.join_ref, f.ref, f.topic, f.event, f.payload])
    : JSON.stringify(f);
}

function frame(join_ref: unknown, ref: unknown, topic: unknown, event: unknown, payload: unknown) {
  if (typeof topic !== 'string' || typeof event !== 'string') return undefined;
  return {
    join_ref: typeof join_ref === 'string' ? join_ref : null,
    ref: typeof ref === 'string' ? ref : null,
    topic,
    event,
    payload: typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {},
  } satisfies Frame;
}

/**
 * Layout (serializer.ts `_encodeUserBroadcastPush`): kind, join_ref length, ref length, topic
 * length, user event length, metadata length, payload encoding, then those strings and the
 * payload. Only the addressing is decoded: the gateway refuses client broadcasts, and needs
 * the ref and topic to say so.
 */
function decodeUserBroadcastPush(data: Buffer): Frame | undefined {
  if (data.length < 7 || data[0] !== USER_BROADCAST_PUSH) return undefined;
  const lengths = [data[1]!, data[2]!, data[3]!, data[4]!, data[5]!];
  let offset = 7;
  const [joinRef, ref, topic, userEvent] = lengths.map((length) => {
    const text = data.subarray(offset, offset + length).toString('utf8');
    offset += length;
    return text;
  });
  return {
    join_ref: joinRef || null,
    ref: ref || null,
    topic: topic ?? '',
    event: 'broadcast',
    payload: { type: 'broadcast', event: userEvent ?? '' },
  };
}
