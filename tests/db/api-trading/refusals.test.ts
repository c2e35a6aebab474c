import { afterEach, beforeAll, expect, it } from 'vitest';
import { trader } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import {
  type Call,
  signedInUser,
  type Trader,
  type TradingApi,
  tokenFor,
  tradingApi,
  tradingRowCounts,
} from './support.ts';

describeOnEachBackend('trading API refusals', (database) => {
  let api: TradingApi;
  let call: Call;
  let alice: Trader;
  let traderId: number;

  beforeAll(async () => {
    api = await tradingApi(database().db);
    call = api.call;
    alice = await signedInUser(database().db);
    traderId = await trader(database().db, alice.userId, alice.accountId);
  });
  afterEach(() => expect(api.logLines).toEqual([]));

  async function expectNothingStored(request: () => Promise<void>): Promise<void> {
    const db = database().db;
    const before = await tradingRowCounts(db);
    const traders = await db.query('select * from public.traders order by id');
    await request();
    expect(await tradingRowCounts(db)).toEqual(before);
    expect(await db.query('select * from public.traders order by id')).toEqual(traders);
  }

  it('answers bad signals with 400 and field-level errors, storing nothing', async () => {
    const valid = { trader_id: traderId, symbol: 'BTC/USDT', side: 'long' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, trader_id: undefined }, 'trader_id'],
      [{ ...valid, trader_id: 'abc' }, 'trader_id'],
      [{ ...valid, trader_id: 1.5 }, 'trader_id'],
      [{ ...valid, symbol: 'BTCUSDT' }, 'symbol'],
      [{ ...valid, symbol: 42 }, 'symbol'],
      [{ ...valid, side: 'up' }, 'side'],
      [{ ...valid, entry_price: '-1' }, 'entry_price'],
      [{ ...valid, entry_price: '0' }, 'entry_price'],
      [{ ...valid, stop_loss: 'lots' }, 'stop_loss'],
      [{ ...valid, entry_price: '100', stop_loss: '110' }, 'stop_loss'],
      [{ ...valid, side: 'short', entry_price: '100', take_profit: '110' }, 'take_profit'],
      [{ ...valid, stop_loss: '100', take_profit: '90' }, 'take_profit'],
      [{ ...valid, timeframe: '5 minutes' }, 'timeframe'],
      [{ ...valid, note: 'x'.repeat(2001) }, 'note'],
      [{ ...valid, expires_at: 'tomorrow' }, 'expires_at'],
      [{ ...valid, expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
      [{ ...valid, status: 'ready' }, 'status'],
      [{ ...valid, requires_confirmation: false }, 'requires_confirmation'],
    ];
    for (const [body, field] of cases) {
      await expectNothingStored(async () => {
        const answer = await call('POST', '/signals', { token: alice.token, body });
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
        expect(Object.keys(answer.body.error.details.fieldErrors), JSON.stringify(body)).toContain(field);
      });
    }
  });

  it('answers bad traders, configuration and risk limits with 400 and field-level errors, storing nothing', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/traders', {}, 'name'],
      ['POST', '/traders', { name: '' }, 'name'],
      ['POST', '/traders', { name: 'x', sizing_rule: 'all_in' }, 'sizing_rule'],
      ['POST', '/traders', { name: 'x', sizing_value: '0' }, 'sizing_value'],
      ['POST', '/traders', { name: 'x', max_positions: -1 }, 'max_positions'],
      ['POST', '/traders', { name: 'x', allowed_symbols: 'BTC/USDT' }, 'allowed_symbols'],
      ['POST', '/traders', { name: 'x', allowed_symbols: ['BTC-USDT'] }, 'allowed_symbols.0'],
      ['POST', '/traders', { name: 'x', analysis_interval_seconds: 0 }, 'analysis_interval_seconds'],
      ['POST', '/traders', { name: 'x', halted_until: '2030-01-01T00:00:00Z' }, 'halted_until'],
      ['PATCH', `/traders/${traderId}`, { owner: 'someone' }, 'owner'],
      ['PATCH', `/traders/${traderId}`, { auto_execute: 'yes' }, 'auto_execute'],
      ['PUT', '/trading-config', { quote_currency: 'US DOLLARS' }, 'quote_currency'],
      ['PUT', '/trading-config', { notify_on: ['Order Failed'] }, 'notify_on.0'],
      ['PUT', '/risk-parameters', { per_position_max_loss_pct: 150 }, 'per_position_max_loss_pct'],
      ['PUT', '/risk-parameters', { max_slippage_bps: 20000 }, 'max_slippage_bps'],
      ['PUT', '/risk-parameters', { max_slippage_bps: null }, 'max_slippage_bps'],
      ['PUT', '/risk-parameters', { max_dust_bps: 10001 }, 'max_dust_bps'],
      ['PUT', '/risk-parameters', { max_dust_bps: 1.5 }, 'max_dust_bps'],
      ['PUT', '/risk-parameters', { daily_loss_limit: -5 }, 'daily_loss_limit'],
      ['PUT', '/risk-parameters?trader_id=x', { max_open_positions: 1 }, 'trader_id'],
      ['POST', '/emergency-stop', { reason: 'x'.repeat(501) }, 'reason'],
      ['POST', '/emergency-stop', { reason: 'stop', owner: 'someone' }, 'owner'],
    ];
    for (const [method, path, body, field] of cases) {
      await expectNothingStored(async () => {
        const answer = await call(method, path, { token: alice.token, body });
        expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
        expect(Object.keys(answer.body.error.details.fieldErrors), `${method} ${path}`).toContain(field);
      });
    }
  });

  it('answers empty updates, bad ids, bad queries and bodies that are not JSON with 400', async () => {
    await expectNothingStored(async () => {
      const empty = await call('PATCH', `/traders/${traderId}`, { token: alice.token, body: {} });
      expect(empty.status).toBe(400);
      expect(empty.body.error.details.formErrors).toEqual(['give at least one field to change']);
      for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
        const answer = await call('GET', `/signals/${id}`, { token: alice.token });
        expect(answer.status, id).toBe(400);
        expect(Object.keys(answer.body.error.details.fieldErrors)).toEqual(['id']);
      }
      for (const [path, field] of [
        ['/signals?status=done', 'status'],
        ['/signals?limit=0', 'limit'],
        ['/signals?limit=1000', 'limit'],
        ['/signals?cursor=x', 'cursor'],
        ['/signals?colour=red', 'colour'],
        ['/orders?status=gone', 'status'],
        ['/positions?status=all', 'status'],
      ]) {
        const answer = await call('GET', path!, { token: alice.token });
        expect(answer.status, path).toBe(400);
        expect(Object.keys(answer.body.error.details.fieldErrors), path).toEqual([field]);
      }
      for (const raw of ['{"trader_id":', 'side=long', '', '[]', 'null']) {
        const answer = await call('POST', '/signals', { token: alice.token, raw });
        expect(answer.status, raw).toBe(400);
      }
      const stop = await call('POST', '/emergency-stop', { token: alice.token, raw: '{"reason":' });
      expect(stop.status).toBe(400);
    });
  });

  it('answers every trading route with 401 without a signed-in user’s token, changing nothing', async () => {
    const routes: [string, string][] = [
      ['GET', '/signals'],
      ['POST', '/signals'],
      ['GET', '/signals/1'],
      ['POST', '/signals/1/cancel'],
      ['POST', '/signals/1/confirm'],
      ['GET', '/orders'],
      ['GET', '/orders/1'],
      ['GET', '/positions'],
      ['GET', '/positions/1'],
      ['GET', '/traders'],
      ['POST', '/traders'],
      ['GET', '/traders/1'],
      ['PATCH', '/traders/1'],
      ['GET', '/trading-config'],
      ['PUT', '/trading-config'],
      ['GET', '/risk-parameters'],
      ['PUT', '/risk-parameters'],
      ['POST', '/emergency-stop'],
      ['GET', '/kill-switch'],
      ['POST', '/kill-switch/release'],
    ];
    const anonToken = await tokenFor(alice.userId, { role: 'anon' });
    const expired = await tokenFor(alice.userId, { expiresIn: Math.floor(Date.now() / 1000) - 60 });
    const forged = await tokenFor(alice.userId, { secret: 'another-secret-with-at-least-thirty-two-chars' });
    await expectNothingStored(async () => {
      for (const [method, path] of routes) {
        for (const token of [undefined, anonToken, expired, forged, 'not-a-jwt']) {
          const answer = await call(method, path, { token, body: method === 'GET' ? undefined : {} });
          expect(answer.status, `${method} ${path} ${token ? 'bad token' : 'no token'}`).toBe(401);
          expect(answer.body.error.code).toBe('unauthorized');
        }
      }
    });
  });
});
