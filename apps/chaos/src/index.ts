export {
  type ChaosOptions,
  DEFAULT_CHAOS_FAULTS,
  DEFAULT_CHAOS_OPTIONS,
  resolveChaosOptions,
} from "./chaos-options.ts";
export {
  type ChaosCheck,
  type ChaosEvidence,
  type ChaosFindings,
  type CheckStatus,
  checkChaosRun,
  type ItemDefect,
  judgeFailedItem,
} from "./check-chaos-run.ts";
export { formatChaosReport } from "./format-chaos-report.ts";
export { type ChaosReport, runChaos } from "./run-chaos.ts";
export { chaosCustomId, writeChaosManifest } from "./write-chaos-manifest.ts";
