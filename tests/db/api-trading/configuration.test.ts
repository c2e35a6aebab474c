import { afterEach, beforeAll, expect, it } from 'vitest';
import { advanceSignal, signal } from '../../support/builders.ts';
import { describeOnEachBackend } from '../../support/databases.ts';
import { type Call, signedInUser, type Trader, type TradingApi, tradingApi } from './support.ts';

describeOnEachBackend('traders and trading configuration API', (database) => {
  let api: TradingApi;
  let call: Call;
  let alice: Trader;
  let traderId: number;

  beforeAll(async () => {
    api = await tradingApi(database().db);
    call = api.call;
    alice = await signedInUser(database().db);
  });
  afterEach(() => expect(api.logLines).toEqual([]));

  it('creates a trader with the table defaults, intervals in seconds and money as decimal strings', async () => {
    const answer = await call('POST', '/traders', {
      token: alice.token,
      body: {
        name: 'Breakouts',
        account_id: alice.accountId,
        sizing_rule: 'risk_percent',
        sizing_value: 1.5,
        daily_loss_limit: '250',
        allowed_symbols: ['btc/usdt', 'ETH/USDT', 'BTC/USDT'],
        signal_ttl_seconds: 3600,
      },
    });
    expect(answer.status).toBe(201);
    traderId = answer.body.trader.id;
    expect(answer.body.trader).toMatchObject({
      name: 'Breakouts',
      kind: 'ai',
      account_id: alice.accountId,
      sizing_rule: 'risk_percent',
      sizing_value: '1.5',
      max_positions: 3,
      daily_loss_limit: '250',
      allowed_symbols: ['BTC/USDT', 'ETH/USDT'],
      auto_execute: true,
      analysis_interval_seconds: 60,
      signal_ttl_seconds: 3600,
      halted: false,
      halted_until: null,
      halt_reason: null,
    });
  });

  it('changes only the fields a PATCH names', async () => {
    const answer = await call('PATCH', `/traders/${traderId}`, {
      token: alice.token,
      body: { max_positions: 5, daily_loss_limit: null, auto_execute: false },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.trader).toMatchObject({
      name: 'Breakouts',
      sizing_value: '1.5',
      max_positions: 5,
      daily_loss_limit: null,
      auto_execute: false,
    });
  });

  it("shows the trader's record: empty at first, then every ended signal with its ratios", async () => {
    const fresh = await call('GET', `/traders/${traderId}`, { token: alice.token });
    expect(fresh.body.trader.metrics).toEqual({
      signals_closed: 0,
      wins: 0,
      losses: 0,
      breakeven: 0,
      signals_rejected: 0,
      signals_expired: 0,
      signals_cancelled: 0,
      signals_failed: 0,
      win_rate: null,
      last_closed_at: null,
      pnl: {},
    });

    // The system closes two signals (a win and a loss) and rejects a third.
    const { db } = database();
    for (const [pnl, fees] of [
      ['6', '0.2'],
      ['-2', '0.1'],
    ]) {
      const id = await signal(db, alice.userId, traderId);
      await advanceSignal(db, id, 'analyzing', 'monitoring', 'ready', 'in_position');
      await db.query(
        `update public.signals set status = 'closed', realized_pnl = $2, fees_paid = $3 where id = $1`,
        [id, pnl, fees],
      );
    }
    await advanceSignal(db, await signal(db, alice.userId, traderId), 'rejected');

    const answer = await call('GET', '/traders', { token: alice.token });
    const record = answer.body.traders.find((t: { id: number }) => t.id === traderId).metrics;
    expect(record).toMatchObject({
      signals_closed: 2,
      wins: 1,
      losses: 1,
      breakeven: 0,
      signals_rejected: 1,
      win_rate: '0.5000',
    });
    expect(record.pnl).toEqual({
      USDT: {
        realized_pnl: '4',
        fees_paid: '0.3',
        average_pnl: '2.00000000',
        gross_profit: '6',
        gross_loss: '-2',
        profit_factor: '3.0000',
        best_pnl: '6',
        worst_pnl: '-2',
      },
    });
    expect(Number.isNaN(Date.parse(record.last_closed_at))).toBe(false);
  });

  it('refuses to write the record through the API', async () => {
    const answer = await call('PATCH', `/traders/${traderId}`, {
      token: alice.token,
      body: { metrics: { realized_pnl: '1000000' } },
    });
    expect(answer.status).toBe(400);
    const after = await call('GET', `/traders/${traderId}`, { token: alice.token });
    expect(after.body.trader.metrics.pnl.USDT.realized_pnl).toBe('4');
  });

  it('refuses to write the halt fields, naming them', async () => {
    const answer = await call('PATCH', `/traders/${traderId}`, {
      token: alice.token,
      body: { halted_until: null, halt_reason: null },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.fieldErrors).toEqual({
      halted_until: ['halted_until is set by the risk engine and the emergency stop; it cannot be written'],
      halt_reason: ['halt_reason is set by the risk engine and the emergency stop; it cannot be written'],
    });
  });

  it('answers a second trader with the same name with 409', async () => {
    const answer = await call('POST', '/traders', { token: alice.token, body: { name: 'Breakouts' } });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toEqual({
      code: 'name_taken',
      message: 'a trader named "Breakouts" already exists',
    });
  });

  it('answers the trading configuration defaults before any is saved, then what was saved', async () => {
    const defaults = await call('GET', '/trading-config', { token: alice.token });
    expect(defaults.body.trading_config).toMatchObject({
      default_account_id: null,
      quote_currency: 'USDT',
      notify_on: ['order_failed', 'position_closed', 'risk'],
    });
    const saved = await call('PUT', '/trading-config', {
      token: alice.token,
      body: { default_account_id: alice.accountId, quote_currency: 'usdc', telegram_chat_id: '-100123' },
    });
    expect(saved.status).toBe(200);
    expect(saved.body.trading_config).toMatchObject({
      default_account_id: alice.accountId,
      quote_currency: 'USDC',
      telegram_chat_id: '-100123',
      notify_on: ['order_failed', 'position_closed', 'risk'],
    });
    const changed = await call('PUT', '/trading-config', {
      token: alice.token,
      body: { telegram_chat_id: null },
    });
    expect(changed.body.trading_config).toMatchObject({ quote_currency: 'USDC', telegram_chat_id: null });
  });

  it('keeps the user’s risk limits and a trader’s overrides apart', async () => {
    const user = await call('PUT', '/risk-parameters', {
      token: alice.token,
      body: { max_open_positions: 4, large_trade_threshold: '5000', per_position_max_loss_pct: 2.5 },
    });
    expect(user.status).toBe(200);
    expect(user.body.risk_parameters).toMatchObject({
      trader_id: null,
      max_open_positions: 4,
      large_trade_threshold: '5000',
      per_position_max_loss_pct: '2.5',
      max_slippage_bps: 100,
      max_dust_bps: 100,
    });
    const override = await call('PUT', `/risk-parameters?trader_id=${traderId}`, {
      token: alice.token,
      body: { max_slippage_bps: 25, max_dust_bps: 300 },
    });
    expect(override.body.risk_parameters).toMatchObject({
      trader_id: traderId,
      max_slippage_bps: 25,
      max_dust_bps: 300,
    });
    const updated = await call('PUT', '/risk-parameters', {
      token: alice.token,
      body: { max_open_positions: null },
    });
    expect(updated.body.risk_parameters).toMatchObject({
      max_open_positions: null,
      large_trade_threshold: '5000',
    });
    const read = await call('GET', `/risk-parameters?trader_id=${traderId}`, { token: alice.token });
    expect(read.body.risk_parameters).toMatchObject({
      trader_id: traderId,
      max_slippage_bps: 25,
      max_dust_bps: 300,
      large_trade_threshold: null,
    });
    const rows = await database().db.query<{ n: number }>(
      'select count(*)::int as n from public.risk_parameters where owner = $1',
      [alice.userId],
    );
    expect(rows[0]!.n).toBe(2);
  });
});
