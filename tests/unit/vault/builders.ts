import { base64ToBytes, bytesToBase64 } from '../../../shared/vault/encoding.ts';
import type { VaultEnvelope } from '../../../shared/vault/index.ts';

/** A fresh random master key, as an operator would create it (`openssl rand -base64 32`). */
export function randomMasterKey(bytes = 32): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(bytes)));
}

export function randomHexKey(bytes = 32): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}

/** The envelope with one bit flipped in byte `index` (negative counts from the end) of a field. */
export function flipByte(
  envelope: VaultEnvelope,
  field: 'salt' | 'iv' | 'ciphertext',
  index: number,
): VaultEnvelope {
  const bytes = base64ToBytes(envelope[field])!;
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = bytes[at]! ^ 0x01;
  return { ...envelope, [field]: bytesToBase64(bytes) };
}

export const alice = { userId: 'user-alice', accountId: 'account-alice-binance' };
export const aliceOtherAccount = { userId: 'user-alice', accountId: 'account-alice-kraken' };
export const bob = { userId: 'user-bob', accountId: 'account-bob-binance' };

export const apiSecret = 'NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j';
