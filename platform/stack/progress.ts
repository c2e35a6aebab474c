/**
 * What the session shows while it runs and prints at the end: signals by state, orders by
 * status, positions and P&L (per quote currency, the only currency P&L can be summed in), the
 * traders' records (public.trader_metrics), the job queue. One query per figure group, read as
 * the owner (no RLS: the stack is the operator).
 */
import type { SqlClient } from '../../shared/db/sql.ts';
import { dec } from '../../shared/money/decimal.ts';
import { SIGNAL_STATUSES } from '../../shared/signals/lifecycle.ts';

export interface SessionSnapshot {
  marketTime: string;
  candles: number;
  signals: Record<string, number>;
  orders: Record<string, number>;
  positions: { open: number; closed: number };
  /** Per quote currency: realised (closed and partial exits) and unrealised P&L, fees. */
  pnl: Record<string, { realized: string; unrealized: string; fees: string }>;
  queue: { due: number; running: number; dead: number };
  /** Per trader: closed signals, wins, losses and the win rate (wins ÷ closed, 4 decimals). */
  traders: { name: string; closed: number; wins: number; losses: number; winRate: string | null }[];
}

export async function takeSnapshot(
  db: SqlClient,
  owner: string,
  clock: { marketTime: number; candles: number },
): Promise<SessionSnapshot> {
  const [signals, orders, positions, queue, traders] = await Promise.all([
    db.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from public.signals where owner = $1 group by status',
      [owner],
    ),
    db.query<{ status: string; n: number }>(
      'select status, count(*)::int as n from public.orders where owner = $1 group by status',
      [owner],
    ),
    db.query<{
      quote: string;
      open: number;
      closed: number;
      realized: string;
      unrealized: string;
      fees: string;
    }>(
      `select split_part(symbol, '/', 2) as quote,
              count(*) filter (where status = 'open')::int as open,
              count(*) filter (where status = 'closed')::int as closed,
              sum(realized_pnl)::text as realized,
              sum(unrealized_pnl) filter (where status = 'open')::text as unrealized,
              sum(fees_paid)::text as fees
         from public.positions where owner = $1 group by 1 order by 1`,
      [owner],
    ),
    db.query<{ due: number; running: number; dead: number }>(
      `select count(*) filter (where status = 'queued' and run_at <= now())::int as due,
              count(*) filter (where status = 'running')::int as running,
              count(*) filter (where status = 'dead')::int as dead
         from queue.jobs`,
    ),
    db.query<{ name: string; closed: number; wins: number; losses: number; win_rate: string | null }>(
      `select t.name, coalesce(sum(m.signals_closed), 0)::int as closed, coalesce(sum(m.wins), 0)::int as wins,
              coalesce(sum(m.losses), 0)::int as losses,
              case when sum(m.signals_closed) > 0 then round(sum(m.wins)::numeric / sum(m.signals_closed), 4)::text end
                as win_rate
         from public.traders t left join public.trader_metrics m on m.trader_id = t.id
        where t.owner = $1 group by t.id, t.name order by t.id`,
      [owner],
    ),
  ]);
  const pnl: SessionSnapshot['pnl'] = {};
  for (const row of positions) {
    pnl[row.quote] = {
      realized: dec(row.realized ?? 0).toFixed(),
      unrealized: dec(row.unrealized ?? 0).toFixed(),
      fees: dec(row.fees ?? 0).toFixed(),
    };
  }
  return {
    marketTime: new Date(clock.marketTime).toISOString(),
    candles: clock.candles,
    signals: Object.fromEntries(signals.map((row) => [row.status, row.n])),
    orders: Object.fromEntries(orders.map((row) => [row.status, row.n])),
    positions: {
      open: positions.reduce((sum, row) => sum + row.open, 0),
      closed: positions.reduce((sum, row) => sum + row.closed, 0),
    },
    pnl,
    queue: queue[0] ?? { due: 0, running: 0, dead: 0 },
    traders: traders.map((row) => ({
      name: row.name,
      closed: row.closed,
      wins: row.wins,
      losses: row.losses,
      winRate: row.win_rate,
    })),
  };
}

const SIGNAL_ORDER: readonly string[] = SIGNAL_STATUSES;

/** A few lines for the terminal. */
export function formatSnapshot(snapshot: SessionSnapshot): string[] {
  const counts = (record: Record<string, number>, order: readonly string[] = []) => {
    const keys = [
      ...order.filter((k) => k in record),
      ...Object.keys(record)
        .filter((k) => !order.includes(k))
        .sort(),
    ];
    return keys.length === 0 ? 'none' : keys.map((k) => `${k} ${record[k]}`).join(' · ');
  };
  const pnl = Object.entries(snapshot.pnl)
    .map(
      ([quote, p]) =>
        `${quote}: realised ${signed(p.realized)} unrealised ${signed(p.unrealized)} fees ${p.fees}`,
    )
    .join('; ');
  return [
    `market   ${snapshot.marketTime}  ${snapshot.candles} candles replayed`,
    `signals  ${counts(snapshot.signals, SIGNAL_ORDER)}`,
    `orders   ${counts(snapshot.orders)}`,
    `position ${snapshot.positions.open} open, ${snapshot.positions.closed} closed${pnl ? `  ${pnl}` : ''}`,
    ...snapshot.traders.map(
      (t) =>
        `trader   ${t.name}: ${t.closed} closed · ${t.wins} won · ${t.losses} lost${t.winRate === null ? '' : ` · win rate ${dec(t.winRate).mul(100).toFixed(1)} %`}`,
    ),
    `queue    ${snapshot.queue.due} due, ${snapshot.queue.running} running, ${snapshot.queue.dead} dead`,
  ];
}

function signed(value: string): string {
  return dec(value).gte(0) ? `+${value}` : value;
}

/**
 * Redraws the block in place on a terminal (at most every `intervalMs`), or prints it as plain
 * lines when the output is not a terminal (less often, and only when something changed).
 */
export function createProgressView(write: (text: string) => void, isTty: boolean) {
  let drawn = 0;
  let lastText = '';
  return {
    show(lines: string[]) {
      const text = lines.join('\n');
      if (!isTty) {
        if (text !== lastText) write(`${text}\n`);
        lastText = text;
        return;
      }
      const up = drawn > 0 ? `\x1b[${drawn}F` : '';
      write(`${up}${lines.map((line) => `\x1b[2K${line}`).join('\n')}\n`);
      drawn = lines.length;
      lastText = text;
    },
    /** Forget the block, so that the next output starts below it. */
    release() {
      drawn = 0;
    },
  };
}
