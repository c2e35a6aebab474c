import type { RiskViolation } from './facts.ts';

/** An entry the risk rules refuse. Thrown by the in-transaction guard, so nothing is written. */
export class RiskRejected extends Error {
  readonly reasons: string[];
  readonly violations: RiskViolation[];

  constructor(violations: RiskViolation[]) {
    super(`risk rules refuse the entry: ${violations.map((v) => v.reason).join(' ')}`);
    this.name = 'RiskRejected';
    this.violations = violations;
    this.reasons = violations.map((v) => v.reason);
  }
}
