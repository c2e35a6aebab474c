/**
 * Master keys: read from the environment (a Supabase function secret in production), validated,
 * and imported into WebCrypto as non-extractable HKDF keys, so that after start-up no raw key
 * bytes stay reachable from JavaScript objects (and `JSON.stringify` of a keyring shows only
 * version numbers).
 *
 * Environment (see the rotation procedure in `index.ts`):
 * - `TRADEFLOW_MASTER_KEY`           the current key: ≥ 32 random bytes as hex or base64
 *                                    (`openssl rand -base64 32`). Hex is assumed when the text
 *                                    is an even number of hex digits, base64 otherwise.
 * - `TRADEFLOW_MASTER_KEY_VERSION`   its version number (positive integer, default 1).
 * - `TRADEFLOW_MASTER_KEY_PREVIOUS`  optional, older keys that must still decrypt while a
 *                                    rotation runs: `<version>:<key>[,<version>:<key>…]`.
 */
import { base64ToBytes, hexToBytes } from './encoding.ts';
import { VaultError } from './errors.ts';

export const MASTER_KEY_ENV = 'TRADEFLOW_MASTER_KEY';
export const MASTER_KEY_VERSION_ENV = 'TRADEFLOW_MASTER_KEY_VERSION';
export const MASTER_KEY_PREVIOUS_ENV = 'TRADEFLOW_MASTER_KEY_PREVIOUS';
/** 256 bits: the strength of the AES-256 keys derived from it. */
export const MIN_MASTER_KEY_BYTES = 32;

export type MasterKeyMaterial = { version: number; key: Uint8Array<ArrayBuffer> };

/** The loaded master keys, by version. Holds only non-extractable CryptoKeys. */
export class MasterKeyring {
  readonly currentVersion: number;
  readonly versions: readonly number[];
  readonly #keys: ReadonlyMap<number, CryptoKey>;

  private constructor(keys: Map<number, CryptoKey>, currentVersion: number) {
    this.#keys = keys;
    this.currentVersion = currentVersion;
    this.versions = [...keys.keys()].sort((a, b) => a - b);
  }

  /** Imports raw key material. The caller keeps ownership of the bytes (and may wipe them). */
  static async fromMaterial(material: MasterKeyMaterial[], currentVersion: number): Promise<MasterKeyring> {
    const keys = new Map<number, CryptoKey>();
    for (const { version, key } of material) {
      assertVersion(version, `master key version ${version}`);
      if (keys.has(version)) {
        throw new VaultError('master_key_config_invalid', `master key version ${version} is given twice`);
      }
      if (key.length < MIN_MASTER_KEY_BYTES) {
        throw new VaultError(
          'master_key_too_short',
          `master key version ${version} is too short: ${key.length} bytes, at least ${MIN_MASTER_KEY_BYTES} are required`,
        );
      }
      keys.set(version, await crypto.subtle.importKey('raw', key, 'HKDF', false, ['deriveKey']));
    }
    if (!keys.has(currentVersion)) {
      throw new VaultError(
        'master_key_config_invalid',
        `the current master key version ${currentVersion} is not among the loaded keys`,
      );
    }
    return new MasterKeyring(keys, currentVersion);
  }

  /** The HKDF base key of a version, or undefined when that version is not loaded. */
  baseKey(version: number): CryptoKey | undefined {
    return this.#keys.get(version);
  }

  /** A keyring without the given versions, e.g. once a rotation has finished. */
  without(...versions: number[]): MasterKeyring {
    if (versions.includes(this.currentVersion)) {
      throw new VaultError('master_key_config_invalid', 'the current master key version cannot be removed');
    }
    const keys = new Map([...this.#keys].filter(([version]) => !versions.includes(version)));
    return new MasterKeyring(keys, this.currentVersion);
  }
}

/**
 * Reads and validates the master keys from an environment (`Deno.env.toObject()`,
 * `process.env`). Refuses with a message naming the variable and the rule that was broken;
 * never with the value.
 */
export async function loadMasterKeys(env: Record<string, string | undefined>): Promise<MasterKeyring> {
  const material = readMasterKeyMaterial(env);
  try {
    return await MasterKeyring.fromMaterial(material.keys, material.currentVersion);
  } finally {
    for (const { key } of material.keys) key.fill(0);
  }
}

/** The synchronous, validating half of `loadMasterKeys`: decoded bytes, not yet imported. */
export function readMasterKeyMaterial(env: Record<string, string | undefined>): {
  currentVersion: number;
  keys: MasterKeyMaterial[];
} {
  const current = decodeMasterKey(MASTER_KEY_ENV, env[MASTER_KEY_ENV]);
  const currentVersion = parseVersion(env[MASTER_KEY_VERSION_ENV], MASTER_KEY_VERSION_ENV) ?? 1;
  const keys: MasterKeyMaterial[] = [{ version: currentVersion, key: current }];

  const previous = env[MASTER_KEY_PREVIOUS_ENV]?.trim();
  if (previous) {
    previous.split(',').forEach((entry, index) => {
      const label = `${MASTER_KEY_PREVIOUS_ENV} entry ${index + 1}`;
      const colon = entry.indexOf(':');
      if (colon < 0) {
        throw new VaultError('master_key_config_invalid', `${label} must be written <version>:<key>`);
      }
      const version = parseVersion(entry.slice(0, colon), label);
      if (version === undefined) {
        throw new VaultError('master_key_config_invalid', `${label} must be written <version>:<key>`);
      }
      const name = `${MASTER_KEY_PREVIOUS_ENV} (version ${version})`;
      const key = decodeMasterKey(name, entry.slice(colon + 1));
      for (const other of keys) {
        if (other.version === version) {
          throw new VaultError('master_key_config_invalid', `${name}: version ${version} is given twice`);
        }
        if (sameBytes(other.key, key)) {
          throw new VaultError(
            'master_key_config_invalid',
            `${name} holds the same key as version ${other.version}; a rotation needs a new key`,
          );
        }
      }
      keys.push({ version, key });
    });
  }
  return { currentVersion, keys };
}

function decodeMasterKey(name: string, value: string | undefined): Uint8Array<ArrayBuffer> {
  const text = value?.trim() ?? '';
  if (text === '') {
    throw new VaultError(
      'master_key_missing',
      `${name} is not set: the credential vault needs a random master key of at least ${MIN_MASTER_KEY_BYTES} bytes, ` +
        'as base64 or hex (for example: openssl rand -base64 32)',
    );
  }
  const bytes = /^([0-9a-fA-F]{2})+$/.test(text) ? hexToBytes(text) : base64ToBytes(text);
  if (!bytes) {
    throw new VaultError('master_key_invalid', `${name} is neither hex nor base64`);
  }
  if (bytes.length < MIN_MASTER_KEY_BYTES) {
    throw new VaultError(
      'master_key_too_short',
      `${name} is too short: it decodes to ${bytes.length} bytes, at least ${MIN_MASTER_KEY_BYTES} are required ` +
        '(for example: openssl rand -base64 32)',
    );
  }
  return bytes;
}

function parseVersion(value: string | undefined, name: string): number | undefined {
  const text = value?.trim() ?? '';
  if (text === '') return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) {
    throw new VaultError('master_key_config_invalid', `${name} must be a positive whole number`);
  }
  return Number(text);
}

function assertVersion(version: number, name: string): void {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new VaultError('master_key_config_invalid', `${name} must be a positive whole number`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
