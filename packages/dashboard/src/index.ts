export {
  type AllowedHosts,
  allowedHostsFor,
  hostnameOf,
  requireAllowedHost,
} from "./allowed-hosts.ts";
export { credentialsMatch, type DashboardCredentials, requireBasicAuth } from "./basic-auth.ts";
export {
  type BullBoardRouterOptions,
  bullBoardJobUrl,
  createBullBoardRouter,
} from "./bull-board-router.ts";
export {
  BULL_BOARD_PATH,
  createDashboardApp,
  createDashboardRoutes,
  type DashboardAppOptions,
} from "./create-dashboard-app.ts";
export type {
  DashboardRequest,
  DashboardResponse,
  DashboardRoute,
  RouteHandler,
} from "./dashboard-route.ts";
export type {
  BatchView,
  DashboardSnapshot,
  DashboardSource,
  FailedItem,
  StuckItemView,
} from "./read-batches.ts";
export { redactJobData } from "./redact-job-data.ts";
export { RedisOutageLog, type RedisOutageLogOptions } from "./redis-outage-log.ts";
export { type DashboardTracing, runDashboardProcess } from "./run-dashboard-process.ts";
export { credentialsForBinding, DashboardStartError, isLoopbackHost } from "./safe-binding.ts";
export { type SearchHit, searchItems } from "./search-items.ts";
export { BULL_BOARD_CSP, DASHBOARD_CSP, securityHeaders } from "./security-headers.ts";
export {
  type RunningDashboard,
  type StartDashboardOptions,
  startDashboard,
} from "./start-dashboard.ts";
export {
  findStuckItems,
  STUCK_SCAN_LIMIT,
  type StuckItem,
  type StuckRule,
  stuckThresholdMs,
  TYPICAL_TASK_SECONDS,
} from "./stuck-items.ts";
