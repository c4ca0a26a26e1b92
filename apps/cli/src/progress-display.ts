import cliProgress from "cli-progress";

/** A progress bar on stderr when it is a terminal; silent otherwise (logs and pipes stay clean). */
export interface ProgressDisplay {
  start(total: number, label: string): void;
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function createProgressDisplay(format?: string): ProgressDisplay {
  if (!process.stderr.isTTY) {
    return { start() {}, update() {}, setTotal() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: format ?? "{label} [{bar}] {percentage}% | {value}/{total} {detail}",
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(total, label) {
      bar.start(total, 0, { label, detail: "" });
    },
    update(value, payload) {
      bar.update(value, payload);
    },
    setTotal(total) {
      bar.setTotal(total);
    },
    stop() {
      bar.stop();
    },
  };
}
