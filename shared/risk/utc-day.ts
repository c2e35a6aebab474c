/** The trading day is the UTC calendar day: daily loss limits reset, and halts end, at 00:00 UTC. */
const DAY_MS = 86_400_000;

export function startOfUtcDay(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export function nextUtcMidnight(now: number): number {
  return startOfUtcDay(now) + DAY_MS;
}
