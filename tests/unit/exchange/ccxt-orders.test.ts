import ccxt, { type Order as CcxtOrder } from 'ccxt';
import { describe, expect, it } from 'vitest';
import { capabilities } from '../../../shared/exchange/ccxt/ccxt-exchange.ts';
import {
  decimalString,
  exchangeOrder,
  marketInfo,
  orderStatus,
} from '../../../shared/exchange/ccxt/mapping.ts';
import { createCcxtClient } from '../../../shared/exchange/ccxt/open-exchange.ts';
import { prepareOrder } from '../../../shared/exchange/ccxt/order-preparation.ts';
import { MarketLimitViolation } from '../../../shared/exchange/errors.ts';
import type { OrderRequest } from '../../../shared/exchange/port.ts';

/** ccxt's binance with Binance's real BTC/USDT filters, offline. */
function binanceOffline() {
  const client = new ccxt.binance();
  client.setMarkets([
    {
      id: 'BTCUSDT',
      symbol: 'BTC/USDT',
      base: 'BTC',
      quote: 'USDT',
      type: 'spot',
      spot: true,
      contract: false,
      active: true,
      precision: { amount: 0.00001, price: 0.01 },
      limits: { amount: { min: 0.00001, max: 9000 }, price: { min: 0.01, max: 1_000_000 }, cost: { min: 5 } },
    },
  ] as never);
  const market = client.market('BTC/USDT');
  const info = marketInfo(market, client.precisionMode ?? 4, capabilities(client, market));
  return { client, market, info };
}

function request(fields: Partial<OrderRequest>): OrderRequest {
  return {
    clientOrderId: 'tf-1-e-1',
    symbol: 'BTC/USDT',
    side: 'buy',
    type: 'limit',
    amount: '0.01',
    price: '30000',
    ...fields,
  };
}

describe('preparing an order for ccxt', () => {
  it('truncates the amount to the step and rounds the price to the tick with ccxt’s helpers', () => {
    const { client, market, info } = binanceOffline();
    const order = prepareOrder(
      client,
      market,
      info,
      request({ amount: '0.0123456', price: '30000.126' }),
      null,
    );
    expect(order).toMatchObject({
      type: 'limit',
      amount: '0.01234',
      price: '30000.13',
      params: { clientOrderId: 'tf-1-e-1' },
    });
  });

  it('refuses an order below the min notional before sending, naming the limit', () => {
    const { client, market, info } = binanceOffline();
    const attempt = () =>
      prepareOrder(client, market, info, request({ amount: '0.0001', price: '30000' }), null);
    expect(attempt).toThrow(MarketLimitViolation);
    expect(attempt).toThrow(/order value 3 USDT .* below the market's min notional 5 USDT/);
    try {
      attempt();
    } catch (error) {
      expect((error as MarketLimitViolation).limit).toBe('min_notional');
      expect(error).toBeInstanceOf(ccxt.InvalidOrder);
    }
  });

  it('checks a market order’s notional at the reference price', () => {
    const { client, market, info } = binanceOffline();
    const small = request({ type: 'market', amount: '0.0001', price: undefined });
    expect(() => prepareOrder(client, market, info, small, '30000')).toThrow(/min notional/);
    expect(prepareOrder(client, market, info, { ...small, amount: '0.001' }, '30000')).toMatchObject({
      type: 'market',
      amount: '0.001',
      price: undefined,
    });
    expect(() => prepareOrder(client, market, info, small, null)).toThrow(
      /no price to check the min notional/,
    );
  });

  it('refuses an amount below one step, and above the maximum', () => {
    const { client, market, info } = binanceOffline();
    expect(() => prepareOrder(client, market, info, request({ amount: '0.000001' }), null)).toThrow(
      /below the market's amount step/,
    );
    expect(() => prepareOrder(client, market, info, request({ amount: '9001', price: '1' }), null)).toThrow(
      /above the market's maximum 9000/,
    );
  });

  it('sends stop-loss as ccxt’s stopLossPrice and take-profit as takeProfitPrice', () => {
    const { client, market, info } = binanceOffline();
    expect(
      prepareOrder(
        client,
        market,
        info,
        request({ type: 'stop_loss', side: 'sell', price: undefined, stopPrice: '29000.004' }),
        null,
      ),
    ).toMatchObject({
      type: 'market',
      stopPrice: '29000',
      params: { stopLossPrice: 29_000 },
    });
    expect(
      prepareOrder(
        client,
        market,
        info,
        request({ type: 'take_profit_limit', side: 'sell', price: '31000', stopPrice: '31000' }),
        null,
      ),
    ).toMatchObject({
      type: 'limit',
      price: '31000',
      params: { takeProfitPrice: 31_000 },
    });
  });

  it('drops reduce-only on spot, where a sell cannot open exposure', () => {
    const { client, market, info } = binanceOffline();
    const order = prepareOrder(client, market, info, request({ side: 'sell', reduceOnly: true }), null);
    expect(order.params).not.toHaveProperty('reduceOnly');
  });

  it('refuses a native stop where the market has none (the worker emulates it)', () => {
    const { client, market, info } = binanceOffline();
    const withoutStops = { ...info, nativeStopLoss: false };
    expect(() =>
      prepareOrder(client, market, withoutStops, request({ type: 'stop_loss', stopPrice: '29000' }), null),
    ).toThrow(ccxt.NotSupported);
  });
});

describe('what a market supports natively', () => {
  it('reads binance spot: native stop-loss and take-profit, no reduce-only', () => {
    expect(binanceOffline().info).toMatchObject({
      amountStep: '0.00001',
      priceTick: '0.01',
      minAmount: '0.00001',
      minNotional: '5',
      nativeStopLoss: true,
      nativeTakeProfit: true,
      reduceOnly: false,
    });
  });
});

describe('mapping ccxt orders to the port', () => {
  it('tells a partly filled open order, a filled one and a closed remainder apart', () => {
    expect(orderStatus('open', '0', '1')).toBe('open');
    expect(orderStatus('open', '0.5', '1')).toBe('partially_filled');
    expect(orderStatus('closed', '1', '1')).toBe('filled');
    expect(orderStatus('closed', '0.4', '1')).toBe('cancelled');
    expect(orderStatus('canceled', '0', '1')).toBe('cancelled');
    expect(orderStatus(undefined, '0', '1')).toBe('open');
  });

  it('writes numbers as plain decimal strings', () => {
    expect(decimalString(1e-7)).toBe('0.0000001');
    expect(decimalString(30000.01)).toBe('30000.01');
    expect(decimalString(0.14999995)).toBe('0.14999995');
    expect(decimalString(Number.NaN)).toBeNull();
  });

  it('reads the venue’s order type and falls back from an untriggered stop’s -1 timestamp', () => {
    const order = {
      id: '9',
      clientOrderId: 'tf-1-sl-1',
      timestamp: -1,
      lastUpdateTimestamp: 1_704_097_200_000,
      symbol: 'BTC/USDT',
      type: 'market',
      side: 'sell',
      amount: 0.004,
      filled: 0,
      status: 'open',
      triggerPrice: 26_306,
      info: { type: 'STOP_LOSS' },
    } as unknown as CcxtOrder;
    expect(exchangeOrder(order, { now: 1 })).toMatchObject({
      exchangeOrderId: '9',
      type: 'stop_loss',
      status: 'open',
      amount: '0.004',
      filled: '0',
      stopPrice: '26306',
      timestamp: 1_704_097_200_000,
      fee: null,
    });
  });
});

describe('configuring one ccxt client per account', () => {
  const credentials = { apiKey: 'k', secret: 's' };

  it('uses the exchange’s testnet URLs in testnet mode', () => {
    const client = createCcxtClient({ exchangeId: 'binance', mode: 'testnet', credentials });
    expect((client.urls['api'] as Record<string, string>)['public']).toMatch(/testnet\.binance\.vision/);
  });

  it('refuses testnet mode for an exchange without a sandbox, instead of falling through to another endpoint', () => {
    expect(() => createCcxtClient({ exchangeId: 'kraken', mode: 'testnet', credentials })).toThrow(
      /kraken has no testnet/,
    );
    expect(() => createCcxtClient({ exchangeId: 'coinbase', mode: 'testnet', credentials })).toThrow(
      /coinbase has no testnet/,
    );
  });

  it('refuses an id ccxt does not know, by name', () => {
    expect(() => createCcxtClient({ exchangeId: 'mtgox', mode: 'live', credentials })).toThrow(
      /unknown exchange "mtgox"/,
    );
  });

  it('keeps ccxt’s automatic retries off whatever the options say, and applies a urls override', () => {
    const client = createCcxtClient({
      exchangeId: 'kraken',
      mode: 'live',
      credentials,
      options: { maxRetriesOnFailure: 3 },
      urls: { api: { public: 'http://127.0.0.1:1/0/public', private: 'http://127.0.0.1:1/0/private' } },
    });
    expect(client.options['maxRetriesOnFailure']).toBe(0);
    expect((client.urls['api'] as Record<string, string>)['public']).toBe('http://127.0.0.1:1/0/public');
  });
});

describe('the fee a market describes', () => {
  const can = { nativeStopLoss: false, nativeTakeProfit: false, reduceOnly: false };

  it('takes binance spot’s from ccxt: 0.1 % maker and taker, a buy’s fee in the base received', () => {
    expect(binanceOffline().info.fees).toEqual({ maker: '0.001', taker: '0.001', buyFeeAsset: 'base' });
  });

  it('maps ccxt’s feeSide to the asset a buy pays its fee in, and says nothing when ccxt does not', () => {
    const { market } = binanceOffline();
    const side = (feeSide: string | undefined) =>
      marketInfo({ ...market, feeSide }, 4, can).fees?.buyFeeAsset;
    expect(side('get')).toBe('base');
    expect(side('give')).toBe('quote');
    expect(side('quote')).toBe('quote');
    expect(side('other')).toBe('other');
    expect(side(undefined)).toBeUndefined();
    expect(marketInfo({ ...market, taker: undefined }, 4, can)).not.toHaveProperty('fees');
    expect(marketInfo({ ...market, percentage: false }, 4, can)).not.toHaveProperty('fees');
  });
});
