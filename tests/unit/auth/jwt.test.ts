import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createTokenVerifier, jwksUrl } from '../../../shared/auth/jwt.ts';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const USER = '6f1c2a52-3f7e-4c35-9a49-1f1d2c3b4a59';

function claims(overrides: Record<string, unknown> = {}) {
  return { role: 'authenticated', aud: 'authenticated', ...overrides };
}

async function hs256(
  payload = claims(),
  options: { sub?: string | null; exp?: string | number; secret?: string } = {},
) {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.sub !== null) jwt.setSubject(options.sub ?? USER);
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  else jwt.setExpirationTime('1h');
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return (error as Error).message;
  }
  throw new Error('expected the token to be refused');
}

describe('user tokens signed with the project JWT secret (HS256)', () => {
  const verify = createTokenVerifier({ jwtSecret: SECRET });

  it('accepts a signed-in user’s token and returns its user id', async () => {
    const user = await verify(await hs256());
    expect(user.userId).toBe(USER);
    expect(user.claims.role).toBe('authenticated');
  });

  it('refuses an expired token', async () => {
    const expired = await hs256(claims(), { exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await refusal(verify(expired))).toBe('the token has expired');
  });

  it('refuses a token without an expiry or without a subject', async () => {
    const noExp = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .sign(new TextEncoder().encode(SECRET));
    expect(await refusal(verify(noExp))).toBe('the token is invalid');
    expect(await refusal(verify(await hs256(claims(), { sub: null })))).toBe('the token is invalid');
  });

  it('refuses a token signed with another secret, and one whose payload was changed', async () => {
    expect(await refusal(verify(await hs256(claims(), { secret: `${SECRET}!` })))).toBe(
      'the token is invalid',
    );
    const [header, , signature] = (await hs256()).split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claims(), sub: USER.replace('6', '7'), exp: 9e9 }),
    ).toString('base64url');
    expect(await refusal(verify(`${header}.${forged}.${signature}`))).toBe('the token is invalid');
  });

  it('refuses anon and service-role tokens: they are not a signed-in user', async () => {
    for (const role of ['anon', 'service_role', undefined]) {
      expect(await refusal(verify(await hs256(claims({ role }))))).toBe(
        'the token does not belong to a signed-in user',
      );
    }
  });

  it('refuses a subject that is not a user id', async () => {
    expect(await refusal(verify(await hs256(claims(), { sub: 'admin' })))).toBe('the token has no user id');
  });

  it('refuses garbage and unsigned tokens', async () => {
    expect(await refusal(verify('garbage'))).toBe('the bearer token is not a JWT');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ ...claims(), sub: USER, exp: 9e9 }),
    ).toString('base64url')}.`;
    expect(await refusal(verify(none))).toMatch(/not accepted/);
  });

  it('needs a secret or a project URL to start', () => {
    expect(() => createTokenVerifier({})).toThrow(/SUPABASE_JWT_SECRET or SUPABASE_URL/);
  });
});

describe('user tokens signed with the project’s asymmetric keys (JWKS)', () => {
  let server: Server;
  let supabaseUrl: string;
  let privateKey: CryptoKey;
  let jwks: { keys: JWK[] };
  let requests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }] };
    server = createServer((req, res) => {
      requests += 1;
      if (req.url === '/auth/v1/.well-known/jwks.json') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(jwks));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    supabaseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const es256 = (payload = claims(), kid = 'key-1') =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

  it('reads the keys from <SUPABASE_URL>/auth/v1/.well-known/jwks.json', () => {
    expect(jwksUrl('https://abc.supabase.co').href).toBe(
      'https://abc.supabase.co/auth/v1/.well-known/jwks.json',
    );
  });

  it('accepts a token signed with a published key, fetching the key set once', async () => {
    const verify = createTokenVerifier({ supabaseUrl });
    const before = requests;
    expect((await verify(await es256())).userId).toBe(USER);
    expect((await verify(await es256())).userId).toBe(USER);
    expect(requests - before).toBe(1);
  });

  it('refuses a token signed with a key the project does not publish', async () => {
    const verify = createTokenVerifier({ supabaseUrl });
    const other = await generateKeyPair('ES256');
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1' })
      .setSubject(USER)
      .setExpirationTime('1h')
      .sign(other.privateKey);
    expect(await refusal(verify(token))).toBe('the token is invalid');
  });

  it('refuses HS256 tokens when the project has no shared secret configured', async () => {
    const verify = createTokenVerifier({ supabaseUrl });
    expect(await refusal(verify(await hs256()))).toBe('HS256 tokens are not accepted by this project');
  });

  it('accepts both kinds during a migration from the shared secret to signing keys', async () => {
    const verify = createTokenVerifier({ supabaseUrl, jwtSecret: SECRET });
    expect((await verify(await hs256())).userId).toBe(USER);
    expect((await verify(await es256())).userId).toBe(USER);
  });
});
