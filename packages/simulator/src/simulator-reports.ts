import type { SimulatedTask } from "./simulated-task.ts";
import { simulatedTaskOf } from "./simulated-task.ts";
import type { SimulatorContext } from "./simulator-context.ts";
import type { SimulatorStats } from "./simulator-stats.ts";
import { type TaskStatus, taskPhaseAt } from "./task-timeline.ts";

/** Current counters, with tasks counted by their status right now. */
export function statsOf(ctx: SimulatorContext): SimulatorStats {
  const nowMs = ctx.options.clock();
  const byStatus: Record<TaskStatus, number> = { QUEUED: 0, PROCESSING: 0, SUCCEED: 0, FAILED: 0 };
  for (const task of ctx.store.all()) byStatus[taskPhaseAt(task, nowMs).status] += 1;
  const limited = Object.keys(ctx.options.keyLimits);
  const keyInFlight =
    limited.length === 0
      ? undefined
      : Object.fromEntries(limited.map((key) => [key, ctx.store.inFlightOf(key, nowMs)]));
  return ctx.stats.snapshot(byStatus, ctx.store.inFlightTotal(nowMs), keyInFlight);
}

/** Every task, in creation order. */
export function tasksOf(ctx: SimulatorContext): SimulatedTask[] {
  const nowMs = ctx.options.clock();
  return Array.from(ctx.store.all(), (task) =>
    simulatedTaskOf(task, nowMs, ctx.options.fileSizeBytes),
  );
}

/** Zero the counters (tasks are kept). */
export function resetStatsOf(ctx: SimulatorContext): void {
  ctx.stats.reset(ctx.store.inFlightTotal(ctx.options.clock()));
}
