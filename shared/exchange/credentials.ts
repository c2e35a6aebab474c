/**
 * Checking a user's exchange API keys before they are stored (issue 3, item 8).
 *
 * A balance call proves that the exchange accepts the keys. Where the exchange exposes what a
 * key may do, its permissions are read too, so that keys able to withdraw funds can be refused:
 * a leaked trading key can lose money through bad trades, a leaked withdrawal key can empty the
 * account. Where nothing is exposed, the permissions are what the balance call proved (`read`)
 * and `canWithdraw` is `null` (unknown).
 *
 * Errors are `CredentialCheckError`s whose messages are ours: the exchange's own error text is
 * never passed on, because some exchanges echo request details and this module handles secrets.
 */
import ccxt, { type Exchange } from 'ccxt';

export type KeyPermission = 'read' | 'trade' | 'withdraw';
/** Account modes that carry API keys (paper accounts have none). */
export type KeyedAccountMode = 'testnet' | 'live';

export interface ExchangeCredentials {
  apiKey: string;
  secret: string;
  /** The passphrase some exchanges require (OKX, KuCoin, Coinbase Exchange…). */
  password?: string;
}

export interface CredentialCheck {
  permissions: KeyPermission[];
  /** `null` when the exchange does not say. */
  canWithdraw: boolean | null;
}

export interface CredentialVerifier {
  verify(
    exchange: string,
    mode: KeyedAccountMode,
    credentials: ExchangeCredentials,
  ): Promise<CredentialCheck>;
}

export type CredentialCheckFailure =
  /** The exchange refused the keys (wrong key or secret, revoked, IP-restricted). */
  | 'rejected'
  /** A credential the exchange needs was not given; `fields` names it. */
  | 'missing_credentials'
  /** The exchange needs a kind of credential tradeflow does not store (uid, wallet key…). */
  | 'unsupported_credentials'
  | 'unknown_exchange'
  | 'testnet_unsupported'
  /** Network trouble, rate limit or maintenance: the keys may be fine; try again. */
  | 'unavailable'
  /** Any other answer from the exchange. */
  | 'exchange_error';

export class CredentialCheckError extends Error {
  override readonly name = 'CredentialCheckError';
  constructor(
    readonly failure: CredentialCheckFailure,
    message: string,
    readonly fields: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Every exchange id ccxt knows (`binance`, `coinbase`, `kraken`, …). */
export const CCXT_EXCHANGE_IDS: readonly string[] = ccxt.exchanges;

export type CcxtClientFactory = (
  exchange: string,
  mode: KeyedAccountMode,
  credentials: ExchangeCredentials,
) => Exchange;

/** A ccxt client for the exchange, on its sandbox for testnet accounts. */
export const ccxtClientFor: CcxtClientFactory = (exchange, mode, credentials) => {
  const constructors = ccxt as unknown as Record<string, new (config: object) => Exchange>;
  const Client = CCXT_EXCHANGE_IDS.includes(exchange) ? constructors[exchange] : undefined;
  if (!Client)
    throw new CredentialCheckError('unknown_exchange', `${exchange} is not an exchange ccxt supports`);
  const client = new Client({
    apiKey: credentials.apiKey,
    secret: credentials.secret,
    password: credentials.password,
    enableRateLimit: true,
    timeout: 10_000,
    options: { maxRetriesOnFailure: 0 },
  });
  if (mode === 'testnet') {
    try {
      client.setSandboxMode(true);
    } catch {
      throw new CredentialCheckError('testnet_unsupported', `${exchange} has no testnet (sandbox) in ccxt`);
    }
  }
  return client;
};

// The credential kinds tradeflow stores, by ccxt's names.
const STORED_CREDENTIALS = new Set(['apiKey', 'secret', 'password']);

export function ccxtCredentialVerifier(createClient: CcxtClientFactory = ccxtClientFor): CredentialVerifier {
  return {
    async verify(exchange, mode, credentials) {
      const client = createClient(exchange, mode, credentials);
      checkRequiredCredentials(client, credentials);
      try {
        await client.fetchBalance();
      } catch (error) {
        throw classify(exchange, error);
      }
      const detected = await readPermissions(client);
      if (!detected) return { permissions: ['read'], canWithdraw: null };
      return detected;
    },
  };
}

function checkRequiredCredentials(client: Exchange, credentials: ExchangeCredentials): void {
  const required = Object.entries(client.requiredCredentials as Record<string, boolean>)
    .filter(([, needed]) => needed)
    .map(([name]) => name);
  const unsupported = required.filter((name) => !STORED_CREDENTIALS.has(name));
  if (unsupported.length > 0) {
    throw new CredentialCheckError(
      'unsupported_credentials',
      `${client.id} needs ${unsupported.join(', ')} credentials, which tradeflow does not store`,
    );
  }
  if (required.includes('password') && !credentials.password) {
    throw new CredentialCheckError(
      'missing_credentials',
      `${client.id} API keys come with a passphrase: it is required`,
      ['password'],
    );
  }
}

function classify(exchange: string, error: unknown): CredentialCheckError {
  if (error instanceof CredentialCheckError) return error;
  if (
    error instanceof ccxt.AuthenticationError ||
    error instanceof ccxt.PermissionDenied ||
    error instanceof ccxt.AccountSuspended
  ) {
    return new CredentialCheckError(
      'rejected',
      `${exchange} refused these API keys (wrong key or secret, revoked, or not allowed from this IP address)`,
    );
  }
  if (error instanceof ccxt.NetworkError) {
    return new CredentialCheckError(
      'unavailable',
      `${exchange} could not be reached to check the API keys; try again later`,
    );
  }
  const kind = error instanceof Error ? error.constructor.name : 'unknown error';
  return new CredentialCheckError('exchange_error', `${exchange} answered the balance check with ${kind}`);
}

type Restrictions = Record<string, unknown>;

/**
 * Per-exchange readers of what a key may do. Each returns `null` when the answer is not
 * available (endpoint missing, e.g. on a testnet): the keys were already proven by the balance
 * call, so an unreadable permission list is "unknown", not a failure.
 */
const permissionReaders: Record<string, (client: Exchange) => Promise<CredentialCheck | null>> = {
  // GET /sapi/v1/account/apiRestrictions (Binance "Get API Key Permission").
  async binance(client) {
    const call = (client as unknown as { sapiGetAccountApiRestrictions?: () => Promise<Restrictions> })
      .sapiGetAccountApiRestrictions;
    if (typeof call !== 'function') return null;
    const answer = await call.call(client);
    const flag = (name: string) => answer[name] === true || answer[name] === 'true';
    const permissions: KeyPermission[] = ['read'];
    if (flag('enableSpotAndMarginTrading')) permissions.push('trade');
    if (flag('enableWithdrawals')) permissions.push('withdraw');
    return { permissions, canWithdraw: flag('enableWithdrawals') };
  },
  // GET /api/v5/account/config → data[0].perm = "read_only,trade,withdraw".
  async okx(client) {
    const call = (client as unknown as { privateGetAccountConfig?: () => Promise<Restrictions> })
      .privateGetAccountConfig;
    if (typeof call !== 'function') return null;
    const answer = await call.call(client);
    const data = Array.isArray(answer['data']) ? (answer['data'][0] as Restrictions | undefined) : undefined;
    if (typeof data?.['perm'] !== 'string') return null;
    const perms = data['perm'].split(',').map((p) => p.trim());
    const permissions: KeyPermission[] = ['read'];
    if (perms.includes('trade')) permissions.push('trade');
    if (perms.includes('withdraw')) permissions.push('withdraw');
    return { permissions, canWithdraw: perms.includes('withdraw') };
  },
  // GET /api/v3/brokerage/key_permissions → { can_view, can_trade, can_transfer }.
  async coinbase(client) {
    const call = (client as unknown as { v3PrivateGetBrokerageKeyPermissions?: () => Promise<Restrictions> })
      .v3PrivateGetBrokerageKeyPermissions;
    if (typeof call !== 'function') return null;
    const answer = await call.call(client);
    if (typeof answer['can_transfer'] !== 'boolean') return null;
    const permissions: KeyPermission[] = ['read'];
    if (answer['can_trade'] === true) permissions.push('trade');
    if (answer['can_transfer'] === true) permissions.push('withdraw');
    return { permissions, canWithdraw: answer['can_transfer'] === true };
  },
};

async function readPermissions(client: Exchange): Promise<CredentialCheck | null> {
  const reader = permissionReaders[String(client.id)];
  if (!reader) return null;
  try {
    return await reader(client);
  } catch (error) {
    // Not reachable right now is not "unknown": a key that can withdraw must not slip through
    // because the permission call timed out.
    if (error instanceof ccxt.NetworkError) throw classify(String(client.id), error);
    return null;
  }
}
