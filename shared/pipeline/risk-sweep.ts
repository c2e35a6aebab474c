/**
 * risk {} (cron): what must be watched whether or not anything is being traded.
 *
 * 1. Mark to market every open position on its venue's last price (SYNC's markToMarket), and
 *    check emulated legs against those prices.
 * 2. Per-position max loss (risk_parameters.per_position_max_loss_pct, the trader's row over
 *    the user's): an open loss at or beyond it closes the position at market, with an alert.
 * 3. Daily realised loss limit: the trader is halted until the next UTC day (RISK).
 * 4. Alerts, each once while unacknowledged: an engaged kill switch (the entry guard already
 *    refuses new entries), a margin position within 10 % of its liquidation price, unusual
 *    P&L, failed or refused orders, a disconnected exchange (circuit open), a request budget
 *    running dry (rate-limit warning), and a position left without a working stop-loss — for
 *    which protect is enqueued again.
 * One account's failure does not stop the sweep.
 */
import type { SqlClient } from '../db/sql.ts';
import { dec } from '../money/decimal.ts';
import { enqueueJob } from '../queue/queue-client.ts';
import { haltTraderIfDailyLossHit } from '../risk/index.ts';
import { markToMarket } from '../sync/index.ts';
import { raiseAlert } from './alerts.ts';
import { closePositionAtMarket } from './close-position.ts';
import type { Pipeline } from './deps.ts';
import { triggerEmulatedOrders } from './emulated-orders.ts';

const ACTOR = 'worker:risk';

interface PositionRisk {
  id: number;
  owner: string;
  account_id: number;
  symbol: string;
  side: 'long' | 'short';
  amount: string;
  entry_price: string | null;
  mark_price: string | null;
  unrealized_pnl: string;
  liquidation_price: string | null;
  signal_id: number | null;
  trader_id: number | null;
  max_loss_pct: string | null;
}

export interface RiskSweepReport {
  marked: number;
  closed: number[];
  halted: number[];
  failures: string[];
}

export async function riskSweep(pipeline: Pipeline, db: SqlClient): Promise<RiskSweepReport> {
  const now = pipeline.now();
  const report: RiskSweepReport = { marked: 0, closed: [], halted: [], failures: [] };
  const accounts = await db.query<{ account_id: number }>(
    `select distinct account_id from public.positions where status = 'open' order by account_id`,
  );
  for (const { account_id: accountId } of accounts) {
    try {
      await markAccount(pipeline, db, accountId, now, report);
    } catch (error) {
      report.failures.push(`account ${accountId}: ${String(error)}`);
      pipeline.log('risk: account failed', { account_id: accountId, error: String(error) });
    }
  }
  await haltTradersOverDailyLoss(db, now, report);
  await alertKillSwitches(db);
  await alertFailedOrders(db);
  await alertExchangeTrouble(pipeline, db);
  await reprotectUnprotected(db);
  return report;
}

async function markAccount(
  pipeline: Pipeline,
  db: SqlClient,
  accountId: number,
  now: number,
  report: RiskSweepReport,
): Promise<void> {
  const exchange = await pipeline.exchangeFor(db, accountId);
  const prices: Record<string, string> = {};
  await markToMarket(db, accountId, async (symbol) => {
    prices[symbol] ??= (await exchange.ticker(symbol)).last;
    return prices[symbol];
  });
  report.marked += Object.keys(prices).length;
  await triggerEmulatedOrders(db, exchange, accountId, now, {
    ...(pipeline.placement === undefined ? {} : { placement: pipeline.placement }),
    prices,
  });

  const positions = await db.query<PositionRisk>(
    `select p.id, p.owner, p.account_id, p.symbol, p.side, p.amount::text as amount,
            p.entry_price::text as entry_price, p.mark_price::text as mark_price,
            p.unrealized_pnl::text as unrealized_pnl, p.liquidation_price::text as liquidation_price,
            s.id as signal_id, s.trader_id,
            coalesce(rt.per_position_max_loss_pct, ru.per_position_max_loss_pct)::text as max_loss_pct
       from public.positions p
       left join lateral (select sp.signal_id from public.signal_positions sp
                           where sp.position_id = p.id order by sp.id desc limit 1) l on true
       left join public.signals s on s.id = l.signal_id
       left join public.risk_parameters rt on rt.owner = p.owner and rt.trader_id = s.trader_id
       left join public.risk_parameters ru on ru.owner = p.owner and ru.trader_id is null
      where p.account_id = $1 and p.status = 'open' and p.amount > 0
      order by p.id`,
    [accountId],
  );
  for (const position of positions) {
    if (position.entry_price === null) continue;
    const notional = dec(position.entry_price).mul(position.amount);
    if (notional.isZero()) continue;
    const pnl = dec(position.unrealized_pnl);
    const lossPct = pnl.neg().div(notional).mul(100);
    const subject = `position:${position.id}`;
    const base = { owner: position.owner, traderId: position.trader_id, subject };

    if (position.max_loss_pct !== null && lossPct.gte(position.max_loss_pct)) {
      const reason = `open loss ${lossPct.toFixed(2)} % reached the per-position limit of ${position.max_loss_pct} %`;
      const closed = await closePositionAtMarket(pipeline, db, exchange, position, reason, ACTOR);
      if (closed.kind === 'placed') report.closed.push(position.id);
      await raiseAlert(db, {
        ...base,
        severity: 'critical',
        kind: 'position_max_loss',
        message: `${position.symbol} ${position.side}: ${reason}; closed at market.`,
        context: { position_id: position.id, signal_id: position.signal_id, loss_pct: lossPct.toFixed(4) },
      });
      continue;
    }
    if (pnl.abs().gte(notional.mul(pipeline.settings.unusualPnlFraction))) {
      await raiseAlert(db, {
        ...base,
        severity: 'warning',
        kind: 'unusual_pnl',
        message: `${position.symbol} ${position.side}: unrealised P&L ${pnl.toFixed()} is ${pnl.div(notional).mul(100).toFixed(1)} % of the position.`,
        context: { position_id: position.id, unrealized_pnl: pnl.toFixed() },
      });
    }
    if (position.liquidation_price !== null && position.mark_price !== null) {
      const mark = dec(position.mark_price);
      const distance = mark.minus(position.liquidation_price).abs().div(mark);
      if (distance.lte(pipeline.settings.liquidationAlertDistance)) {
        await raiseAlert(db, {
          ...base,
          severity: 'critical',
          kind: 'liquidation_risk',
          message: `${position.symbol} ${position.side}: mark ${position.mark_price} is within ${distance.mul(100).toFixed(1)} % of the liquidation price ${position.liquidation_price}.`,
          context: { position_id: position.id, distance: distance.toFixed(6) },
        });
      }
    }
  }
}

async function haltTradersOverDailyLoss(db: SqlClient, now: number, report: RiskSweepReport): Promise<void> {
  const traders = await db.query<{ id: number }>(
    `select t.id from public.traders t
      where t.daily_loss_limit is not null
         or exists (select 1 from public.risk_parameters r
                     where r.owner = t.owner and (r.trader_id = t.id or r.trader_id is null)
                       and r.daily_loss_limit is not null)
      order by t.id`,
  );
  for (const { id } of traders) {
    const check = await haltTraderIfDailyLossHit(db, id, now);
    if (check.halt?.halted) report.halted.push(id);
  }
}

async function alertKillSwitches(db: SqlClient): Promise<void> {
  const engaged = await db.query<{
    id: number;
    owner: string;
    trader_id: number | null;
    reason: string | null;
  }>(`select id, owner, trader_id, reason from public.kill_switches where engaged`);
  for (const k of engaged) {
    await raiseAlert(db, {
      owner: k.owner,
      traderId: k.trader_id,
      severity: 'warning',
      kind: 'kill_switch_engaged',
      subject: `kill_switch:${k.id}`,
      message: `The kill switch ${k.trader_id === null ? 'for all your traders' : `of trader ${k.trader_id}`} is engaged${k.reason ? ` (${k.reason})` : ''}: no new entries.`,
      context: { kill_switch_id: k.id },
    });
  }
}

async function alertFailedOrders(db: SqlClient): Promise<void> {
  const failed = await db.query<{
    id: number;
    owner: string;
    client_order_id: string;
    status: string;
    status_reason: string | null;
    symbol: string;
  }>(
    `select id, owner, client_order_id, status, status_reason, symbol from public.orders
      where status in ('rejected', 'failed') and not emulated and updated_at > pg_catalog.now() - interval '1 day'
      order by id`,
  );
  for (const o of failed) {
    await raiseAlert(db, {
      owner: o.owner,
      severity: 'warning',
      kind: 'order_failed',
      subject: `order:${o.id}`,
      message: `Order ${o.client_order_id} (${o.symbol}) ${o.status}: ${o.status_reason ?? 'no reason given'}`,
      context: { order_id: o.id },
    });
  }
}

async function alertExchangeTrouble(pipeline: Pipeline, db: SqlClient): Promise<void> {
  const open = await db.query<{ account_id: number; owner: string; last_failure: string | null }>(
    `select b.account_id, a.owner, b.last_failure
       from internal.exchange_circuit_breakers b join public.exchange_accounts a on a.id = b.account_id
      where b.state <> 'closed'`,
  );
  for (const b of open) {
    await raiseAlert(db, {
      owner: b.owner,
      severity: 'critical',
      kind: 'exchange_disconnected',
      subject: `account:${b.account_id}`,
      message: `The exchange of account ${b.account_id} is not answering (circuit open): ${b.last_failure ?? 'repeated failures'}`,
      context: { account_id: b.account_id },
    });
  }
  const low = await db.query<{ account_id: number; owner: string; tokens: string; capacity: string }>(
    `select r.account_id, a.owner, r.tokens::text as tokens, r.capacity::text as capacity
       from internal.exchange_request_budgets r join public.exchange_accounts a on a.id = r.account_id
      where r.tokens is not null and r.tokens < r.capacity * $1::numeric`,
    [pipeline.settings.rateLimitWarningFraction],
  );
  for (const r of low) {
    await raiseAlert(db, {
      owner: r.owner,
      severity: 'warning',
      kind: 'rate_limit_warning',
      subject: `account:${r.account_id}`,
      message: `Account ${r.account_id} is close to the exchange's request limit (${r.tokens} of ${r.capacity} left).`,
      context: { account_id: r.account_id },
    });
  }
}

/** A signal in position with a stop-loss level but no working stop and no exit: protect it again. */
async function reprotectUnprotected(db: SqlClient): Promise<void> {
  const signals = await db.query<{ id: number; owner: string; trader_id: number }>(
    `select s.id, s.owner, s.trader_id from public.signals s
      where s.status = 'in_position' and s.stop_loss is not null
        and not exists (select 1 from public.signal_orders so join public.orders o on o.id = so.order_id
                         where so.signal_id = s.id
                           and ((so.leg in ('stop_loss', 'exit') and o.status in ('pending', 'open', 'partially_filled', 'unknown'))
                                or (so.leg <> 'entry' and o.filled_amount > 0)))`,
  );
  for (const s of signals) {
    await enqueueJob(db, 'protect', { signal_id: s.id }, `signal:${s.id}:protect`);
    await raiseAlert(db, {
      owner: s.owner,
      traderId: s.trader_id,
      severity: 'warning',
      kind: 'unprotected_position',
      subject: `signal:${s.id}`,
      message: `Signal ${s.id} was in position without a working stop-loss; protection is being placed again.`,
      context: { signal_id: s.id },
    });
  }
}
