import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The `veoq` command's entry point: workers are real `veoq worker` processes. */
export const VEOQ_BIN = fileURLToPath(new URL("../../cli/bin/veoq-sources.js", import.meta.url));

export interface WorkerFleetOptions {
  /** Worker processes to keep running. */
  size: number;
  /** Complete environment of every worker process. */
  env: Record<string, string>;
  /** Folder for the logs: `worker-<n>.log`, appended to across restarts. */
  logDir: string;
}

interface Slot {
  index: number;
  process: ChildProcess | undefined;
  /** True between our SIGKILL and the restart: the exit is ours, not a crash. */
  killing: boolean;
  starts: number;
}

/** An exit nobody asked for: a worker that died by itself (crash, unhandled error). */
export interface UnexpectedExit {
  worker: number;
  code: number | null;
  signal: string | null;
  at: number;
}

/**
 * N `veoq worker` child processes, each logging to its own file. Kills are SIGKILL (no graceful
 * shutdown: jobs in progress are left to stalled-job recovery). A worker that exits without
 * being killed is recorded as an unexpected exit and started again, so the run goes on.
 */
export class WorkerFleet {
  readonly unexpectedExits: UnexpectedExit[] = [];
  private readonly slots: Slot[];
  private readonly options: WorkerFleetOptions;
  private stopping = false;

  constructor(options: WorkerFleetOptions) {
    this.options = options;
    this.slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      process: undefined,
      killing: false,
      starts: 0,
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Log file of worker `index`. */
  logPath(index: number): string {
    return path.join(this.options.logDir, `worker-${index + 1}.log`);
  }

  startAll(): void {
    for (const slot of this.slots) this.start(slot);
  }

  /**
   * SIGKILLs worker `index`, waits until it is gone, then starts it again after `downMs`.
   * Returns false (and does nothing) when that worker is already down for an earlier kill.
   */
  async killAndRestart(index: number, downMs: number): Promise<boolean> {
    const slot = this.slots[index];
    if (!slot) throw new RangeError(`no worker ${index}`);
    if (slot.killing) return false;
    slot.killing = true;
    await this.killSlot(slot);
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    slot.killing = false;
    if (!this.stopping) this.start(slot);
    return true;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when every worker is gone. */
  async stopAll(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.killing = true;
        const child = slot.process;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** Last resort on process exit: SIGKILL whatever still runs, synchronously. */
  killAllNow(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      slot.killing = true;
      const child = slot.process;
      if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  }

  /** Indexes of the workers running now (not down for a kill or a crash). */
  runningWorkers(): number[] {
    return this.slots
      .filter((slot) => !slot.killing && slot.process !== undefined)
      .map((slot) => slot.index);
  }

  /** Times each worker was started (first start included). */
  starts(): number[] {
    return this.slots.map((slot) => slot.starts);
  }

  private async killSlot(slot: Slot): Promise<void> {
    const child = slot.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  private start(slot: Slot): void {
    if (slot.process !== undefined) return;
    const log = openSync(this.logPath(slot.index), "a");
    const child = spawn(process.execPath, [VEOQ_BIN, "worker"], {
      env: this.options.env,
      stdio: ["ignore", log, log],
    });
    closeSync(log);
    slot.process = child;
    slot.starts++;
    child.once("exit", (code, signal) => {
      if (slot.process !== child) return;
      slot.process = undefined;
      if (slot.killing || this.stopping) return;
      this.unexpectedExits.push({ worker: slot.index + 1, code, signal, at: Date.now() });
      setTimeout(() => {
        if (!this.stopping && slot.process === undefined) this.start(slot);
      }, 500);
    });
  }
}
