/**
 * A bare PostgreSQL wire client for the multiplexer tests: what postgres.js will not do on
 * request — name its own prepared statements, or vanish without a Terminate message.
 */
import { connect, type Socket } from 'node:net';

export interface RawWire {
  /** Sends frontend messages and resolves with the backend's messages up to ReadyForQuery. */
  send(...messages: Buffer[]): Promise<BackendMessage[]>;
  /** Drops the TCP connection without a goodbye, as a crashed process would. */
  kill(): void;
}

export interface BackendMessage {
  type: string;
  body: Buffer;
}

export async function openRawWire(url: string): Promise<RawWire> {
  const { hostname, port } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  let waiting: { messages: BackendMessage[]; resolve(messages: BackendMessage[]): void } | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 5 && buffer.length >= 1 + buffer.readInt32BE(1)) {
      const end = 1 + buffer.readInt32BE(1);
      const received = { type: String.fromCharCode(buffer[0]!), body: buffer.subarray(5, end) };
      buffer = buffer.subarray(end);
      if (!waiting) continue;
      waiting.messages.push(received);
      if (received.type === 'Z') {
        const done = waiting;
        waiting = null;
        done.resolve(done.messages);
      }
    }
  });
  const send = (...messages: Buffer[]) =>
    new Promise<BackendMessage[]>((resolve) => {
      waiting = { messages: [], resolve };
      socket.write(Buffer.concat(messages));
    });
  const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const startup = Buffer.alloc(8);
  startup.writeInt32BE(8 + params.length, 0);
  startup.writeInt32BE(196608, 4);
  await send(Buffer.concat([startup, params]));
  return { send, kill: () => socket.destroy() };
}

export const wire = {
  query: (sql: string) => frame('Q', cstring(sql)),
  parse: (name: string, sql: string) => frame('P', Buffer.concat([cstring(name), cstring(sql), int16(0)])),
  bind: (statement: string) =>
    frame('B', Buffer.concat([cstring(''), cstring(statement), int16(0), int16(0), int16(0)])),
  execute: () => frame('E', Buffer.concat([cstring(''), Buffer.alloc(4)])),
  sync: () => frame('S', Buffer.alloc(0)),
};

/** The first column of every DataRow, as text. */
export function firstColumn(messages: BackendMessage[]): string[] {
  return messages
    .filter((m) => m.type === 'D')
    .map((m) => {
      const length = m.body.readInt32BE(2);
      return m.body.toString('utf8', 6, 6 + length);
    });
}

function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

function cstring(value: string): Buffer {
  return Buffer.from(`${value}\0`);
}

function int16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeInt16BE(value, 0);
  return buffer;
}
