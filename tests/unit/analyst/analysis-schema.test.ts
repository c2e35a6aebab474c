import { describe, expect, it } from 'vitest';
import { analysisJsonSchema, validateAnalysisOutput } from '../../../shared/analyst/analysis.ts';

const long = {
  action: 'enter',
  confidence: 0.7,
  entry: '100.5',
  stopLoss: '98',
  takeProfit: '105',
  timeframe: '1h',
  rationale: 'Trend up.',
};
const short = { ...long, stopLoss: '105', takeProfit: '98' };

function issuesOf(value: unknown, side: 'long' | 'short'): string[] {
  const result = validateAnalysisOutput(value, side);
  return result.ok ? [] : result.issues;
}

describe('the analysis schema', () => {
  it('accepts levels ordered for the side: long stop < entry < take-profit, short the reverse', () => {
    expect(validateAnalysisOutput(long, 'long')).toEqual({ ok: true, output: long });
    expect(validateAnalysisOutput(short, 'short').ok).toBe(true);
  });

  it('refuses a long whose stop-loss is above the entry, saying so', () => {
    expect(issuesOf({ ...long, stopLoss: '101' }, 'long')).toContain(
      'stopLoss: a long stop-loss must be below the entry (stop-loss 101, entry 100.5)',
    );
  });

  it('refuses long levels given for a short signal', () => {
    const issues = issuesOf(long, 'short');
    expect(issues.some((issue) => issue.includes('a short stop-loss must be above the entry'))).toBe(true);
    expect(issues.some((issue) => issue.includes('a short take-profit must be below the entry'))).toBe(true);
  });

  it('refuses a take-profit equal to the entry', () => {
    expect(issuesOf({ ...long, takeProfit: '100.50' }, 'long')).toHaveLength(1);
  });

  it('refuses an enter without all three levels, but lets a reject carry none', () => {
    expect(issuesOf({ ...long, stopLoss: null }, 'long')).toEqual(['stopLoss: an enter needs stopLoss']);
    const reject = { ...long, action: 'reject', entry: null, stopLoss: null, takeProfit: null };
    expect(validateAnalysisOutput(reject, 'long').ok).toBe(true);
  });

  it('refuses confidence outside 0–1, unknown actions, numbers or exponents as prices, and extra fields', () => {
    expect(issuesOf({ ...long, confidence: 1.2 }, 'long')).toHaveLength(1);
    expect(issuesOf({ ...long, action: 'buy' }, 'long')).toHaveLength(1);
    expect(issuesOf({ ...long, entry: 100.5 }, 'long')).toHaveLength(1);
    expect(issuesOf({ ...long, takeProfit: '1.05e2' }, 'long')).toHaveLength(1);
    expect(
      issuesOf({ ...long, entry: '0', stopLoss: null, takeProfit: null, action: 'wait' }, 'long'),
    ).toHaveLength(1);
    expect(issuesOf({ ...long, leverage: 10 }, 'long')).toHaveLength(1);
  });

  it('derives a JSON schema that OpenAI strict mode accepts: every field required, nothing extra', () => {
    const schema = analysisJsonSchema() as {
      type: string;
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect([...schema.required].sort()).toEqual(Object.keys(schema.properties).sort());
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['action', 'confidence', 'entry', 'rationale', 'stopLoss', 'takeProfit', 'timeframe'].sort(),
    );
    expect(schema).not.toHaveProperty('$schema');
    // Keywords outside strict mode's documented subset stay out; zod checks them instead.
    expect(JSON.stringify(schema)).not.toMatch(/minLength|maxLength/);
    expect(schema.properties['entry']).toEqual({
      anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' }, { type: 'null' }],
      description: expect.any(String),
    });
  });
});
