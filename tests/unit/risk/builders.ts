/**
 * Facts for risk engine specifications: BTC/USDT at 100 (step 0.001), a 10 000 USDT account, a
 * trader sizing 100 USDT, and Binance's fee: 0.1 % taken from the base asset on a buy.
 */
import type { EntryFacts } from '../../../shared/risk/index.ts';

export const NOW = Date.UTC(2026, 0, 15, 12, 0);

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object | null ? Partial<T[K]> : T[K] };

export function facts(overrides: DeepPartial<EntryFacts> = {}): EntryFacts {
  const base: EntryFacts = {
    now: NOW,
    owner: 'user-1',
    signal: {
      id: 42,
      status: 'ready',
      symbol: 'BTC/USDT',
      side: 'long',
      entryPrice: null,
      stopLoss: null,
      takeProfit: null,
      requiresConfirmation: false,
      confirmedAt: null,
    },
    trader: {
      id: 7,
      name: 'Momentum',
      sizingRule: 'fixed_quote',
      sizingValue: '100',
      maxPositions: 3,
      dailyLossLimit: null,
      allowedSymbols: [],
      haltedUntil: null,
      haltReason: null,
    },
    account: { id: 3, status: 'active', maxOrderNotional: null },
    limits: {
      maxOpenPositions: null,
      maxPositionNotional: null,
      traderDailyLossLimit: null,
      userDailyLossLimit: null,
      maxSlippageBps: 100,
      largeTradeThreshold: null,
      maxDustBps: 100,
    },
    killSwitches: { user: null, trader: null },
    exposure: {
      openPositions: 0,
      symbolExposure: null,
      traderRealizedPnlToday: '0',
      userRealizedPnlToday: '0',
    },
    market: {
      market: {
        symbol: 'BTC/USDT',
        base: 'BTC',
        quote: 'USDT',
        amountStep: '0.001',
        priceTick: '0.01',
        minAmount: '0.001',
        minNotional: '5',
        nativeStopLoss: true,
        nativeTakeProfit: true,
        reduceOnly: false,
      },
      last: '100',
      bid: '100',
      ask: '100',
      equity: '10000',
      freeQuote: '10000',
      freeBase: '0',
      entryFee: { rate: '0.001', buyFeeAsset: 'base' },
    },
  };
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(overrides)) {
    const current = (base as unknown as Record<string, unknown>)[key];
    merged[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof current === 'object'
        ? { ...(current as object), ...value }
        : value;
  }
  return merged as unknown as EntryFacts;
}
