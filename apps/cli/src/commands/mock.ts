import {
  DEFAULT_SIMULATOR_OPTIONS,
  type KeyLimit,
  parseKeySpecs,
  type SimulatorOverrides,
  startSimulator,
} from "@veoq/simulator";
import { type Command, InvalidArgumentError } from "commander";
import { describeListenError } from "../listen-error.ts";

/** Port `veoq mock` listens on unless told otherwise. */
export const DEFAULT_MOCK_PORT = 4010;

interface MockCommandOptions {
  port: number;
  host: string;
  timeScale?: number;
  seed?: number;
  failureRate?: number;
  rateLimit?: number;
  maxConcurrent?: number;
  errorRate?: number;
  dropRate?: number;
  fileErrorRate?: number;
  urlTtl?: number;
  eta: boolean;
  progress: boolean;
  keys?: { apiKeys: string[]; keyLimits: Record<string, KeyLimit> };
}

interface NumberRule {
  min: number;
  max?: number;
  /** Whether `min` itself is refused. */
  exclusiveMin?: boolean;
  integer?: boolean;
  /** What the value must be, for the error message. */
  expected: string;
}

/** A commander option parser that refuses anything outside `rule` with a clear message. */
function numberParser(rule: NumberRule): (value: string) => number {
  return (value) => {
    const number = value.trim() === "" ? Number.NaN : Number(value);
    const valid =
      Number.isFinite(number) &&
      (rule.exclusiveMin === true ? number > rule.min : number >= rule.min) &&
      (rule.max === undefined || number <= rule.max) &&
      (rule.integer !== true || Number.isInteger(number));
    if (!valid) throw new InvalidArgumentError(`expected ${rule.expected}, got "${value}".`);
    return number;
  };
}

const parseRate = numberParser({ min: 0, max: 1, expected: "a fraction from 0 to 1" });

function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

function simulatorOptionsOf(options: MockCommandOptions): SimulatorOverrides {
  return {
    port: options.port,
    host: options.host,
    timeScale: options.timeScale,
    seed: options.seed,
    failureRate: options.failureRate,
    rateLimit:
      options.rateLimit === undefined ? undefined : { requestsPerSecond: options.rateLimit },
    maxConcurrentTasks: options.maxConcurrent,
    serverErrorRate: options.errorRate,
    dropConnectionRate: options.dropRate,
    fileErrorRate: options.fileErrorRate,
    urlTtlSeconds: options.urlTtl,
    reportEta: options.eta,
    reportProgress: options.progress,
    ...(options.keys ?? {}),
  };
}

/**
 * The key variables for the workers: the one simulator key, or the pool of `--keys` and the
 * slowest key's pace (a key without rpm is paced only by --rate-limit).
 */
function keyVariables(options: MockCommandOptions, rpm: number): { keys: string; rpm: number } {
  if (options.keys === undefined) {
    const apiKey = DEFAULT_SIMULATOR_OPTIONS.apiKeys[0] ?? "sim-key";
    return { keys: `JIEKOU_API_KEY=${apiKey}`, rpm };
  }
  const paces = Object.values(options.keys.keyLimits)
    .map((limit) => limit.createsPerMinute ?? 0)
    .filter((value) => value > 0);
  const slowest = Math.min(...paces, ...(rpm > 0 ? [rpm] : []));
  return {
    keys: `JIEKOU_API_KEYS=${options.keys.apiKeys.join(",")}`,
    rpm: Number.isFinite(slowest) ? slowest : 0,
  };
}

async function runMock(options: MockCommandOptions): Promise<void> {
  let simulator: Awaited<ReturnType<typeof startSimulator>>;
  try {
    simulator = await startSimulator(simulatorOptionsOf(options));
  } catch (error) {
    const line = describeListenError(error, "the simulator", "--port") ?? (error as Error).message;
    process.stderr.write(`veoq mock: ${line}\n`);
    process.exitCode = 1;
    return;
  }
  // Every variable the workers need against this simulator, on one line to paste before
  // `veoq worker`: its time scale (else ETAs and poll pacing assume real minutes), and a create
  // pace it will not refuse (none unless --rate-limit: the default 50/min only slows a demo).
  const timeScale = options.timeScale ?? DEFAULT_SIMULATOR_OPTIONS.timeScale;
  const rpm = options.rateLimit === undefined ? 0 : Math.max(1, Math.floor(options.rateLimit * 60));
  const variables = keyVariables(options, rpm);
  process.stdout.write(
    `JIEKOU_BASE_URL=${simulator.url} ${variables.keys} VEOQ_TIME_SCALE=${timeScale} VEOQ_PROVIDER_RPM=${variables.rpm}\n`,
  );
  process.stderr.write(
    `veoq mock: simulated jiekou.ai API running; stats at ${simulator.url}/__sim/stats. Ctrl-C to stop.\n`,
  );
  await waitForShutdownSignal();
  await simulator.close();
}

export function registerMockCommand(program: Command): void {
  program
    .command("mock")
    .description("run the jiekou.ai API simulator (with fault injection) until interrupted")
    .option(
      "--port <port>",
      "port to listen on (0 = any free port)",
      numberParser({ min: 0, max: 65535, integer: true, expected: "a port from 0 to 65535" }),
      DEFAULT_MOCK_PORT,
    )
    .option("--host <host>", "interface to listen on", DEFAULT_SIMULATOR_OPTIONS.host)
    .option(
      "--time-scale <x>",
      "real seconds per provider second (0.01 makes a 90 s task take 0.9 s; default 1)",
      numberParser({ min: 0, exclusiveMin: true, expected: "a number above 0" }),
    )
    .option(
      "--seed <n>",
      "seed of every random choice (default 1)",
      numberParser({
        min: 0,
        max: 4294967295,
        integer: true,
        expected: "an integer from 0 to 4294967295",
      }),
    )
    .option("--failure-rate <r>", "fraction of tasks that end FAILED (default 0)", parseRate)
    .option(
      "--rate-limit <rps>",
      "requests per second allowed per key, answering 429 beyond it (default off)",
      numberParser({ min: 0, expected: "a number of requests per second, 0 or more" }),
    )
    .option(
      "--max-concurrent <n>",
      "tasks a key may have running at once, answering 429 beyond it (default off)",
      numberParser({ min: 0, integer: true, expected: "a whole number, 0 or more" }),
    )
    .option("--error-rate <r>", "fraction of API requests answered 5xx (default 0)", parseRate)
    .option(
      "--drop-rate <r>",
      "fraction of API requests whose connection is dropped unanswered (default 0)",
      parseRate,
    )
    .option(
      "--file-error-rate <r>",
      "fraction of file downloads answered 503, a transient fault `veoq retry` re-downloads for free (default 0)",
      parseRate,
    )
    .option(
      "--url-ttl <s>",
      "lifetime of result URLs in provider seconds (default 3600)",
      numberParser({ min: 0, exclusiveMin: true, expected: "a number of seconds above 0" }),
    )
    .option(
      "--keys <list>",
      "accepted API keys, each with its own limits: key[:cap=N][:rpm=N][:credit=N],... (credit: creates before it answers 402; default one key sim-key, no own limits)",
      (value: string) => {
        try {
          return parseKeySpecs(value);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      },
    )
    .option("--no-eta", "leave eta out of task results")
    .option("--no-progress", "leave progress_percent out of task results")
    .action(async (options: MockCommandOptions) => {
      await runMock(options);
    });
}
