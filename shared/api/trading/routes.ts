/**
 * Every trading route of the API, by path prefix under `/api`, for `createApiApp` to mount
 * behind `requireUser`. Each module runs its database work as the calling user (RLS).
 */
import type { Hono } from 'hono';
import type { UserVariables } from '../require-user.ts';
import { signalRoutes } from '../signals/routes.ts';
import type { TradingDeps } from './common.ts';
import { emergencyStopRoutes, killSwitchRoutes } from './emergency.ts';
import { orderRoutes, positionRoutes } from './records.ts';
import { riskParameterRoutes, tradingConfigRoutes } from './settings.ts';
import { traderRoutes } from './traders.ts';

export function tradingRoutes(
  deps: TradingDeps,
): [prefix: string, routes: Hono<{ Variables: UserVariables }>][] {
  return [
    ['/signals', signalRoutes(deps)],
    ['/orders', orderRoutes(deps)],
    ['/positions', positionRoutes(deps)],
    ['/traders', traderRoutes(deps)],
    ['/trading-config', tradingConfigRoutes(deps)],
    ['/risk-parameters', riskParameterRoutes(deps)],
    ['/emergency-stop', emergencyStopRoutes(deps)],
    ['/kill-switch', killSwitchRoutes(deps)],
  ];
}
