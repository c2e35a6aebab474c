import { describe, expect, it } from 'vitest';
import { chooseAnalyst } from '../../../shared/analyst/choose-analyst.ts';
import { analysisMessages, PROMPT_CANDLES, readAnalysisPrompt } from '../../../shared/analyst/prompt.ts';
import { lastTs, risingZigZag, signal } from './builders.ts';

describe('the analysis prompt', () => {
  const candles = risingZigZag(100);
  const input = {
    signal: signal('long', { symbol: 'ETH/BTC', note: 'breakout' }),
    candles,
    now: lastTs(candles),
  };

  it('carries the signal, the indicator readings and only the most recent candles', () => {
    const [system, user] = analysisMessages(input);
    expect(system!.role).toBe('system');
    expect(system!.content).toContain('stopLoss < entry < takeProfit');
    const document = JSON.parse(user!.content);
    expect(document.signal).toEqual(input.signal);
    expect(document.indicators.rsi).toEqual(expect.any(Number));
    expect(document.candles).toHaveLength(PROMPT_CANDLES);
    expect(document.candles.at(-1)[0]).toBe(lastTs(candles));
  });

  it('says the indicators are unavailable rather than inventing them for a short history', () => {
    const few = risingZigZag(5);
    const document = JSON.parse(analysisMessages({ ...input, candles: few, now: lastTs(few) })[1]!.content);
    expect(document.indicators).toMatchObject({ available: false, candlesGiven: 5 });
  });

  it('reads back into the same signal and the candles it sent', () => {
    const read = readAnalysisPrompt(analysisMessages(input)[1]!.content);
    expect(read).toEqual({ signal: input.signal, now: input.now, candles: candles.slice(-PROMPT_CANDLES) });
    expect(readAnalysisPrompt('Buy BTC now?')).toBeNull();
  });
});

describe('chooseAnalyst', () => {
  it('uses the deterministic analyst when no OpenAI key is set (blank counts as unset)', () => {
    expect(chooseAnalyst({}).kind).toBe('deterministic');
    expect(chooseAnalyst({ OPENAI_API_KEY: '  ' }).kind).toBe('deterministic');
  });

  it('uses OpenAI when a key is set', () => {
    expect(chooseAnalyst({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' }).kind).toBe(
      'openai',
    );
  });

  it('refuses a timeout that is not a positive number of milliseconds', () => {
    expect(() => chooseAnalyst({ OPENAI_API_KEY: 'sk-test', OPENAI_TIMEOUT_MS: '30s' })).toThrow(
      'OPENAI_TIMEOUT_MS must be a positive whole number of milliseconds, got "30s"',
    );
  });
});
