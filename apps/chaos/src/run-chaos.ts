import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseConfig, type VeoqConfig } from "@veoq/config";
import { type LocalS3, startLocalS3 } from "@veoq/local-s3";
import { objectStoreFromConfig, type S3ObjectStore } from "@veoq/object-store";
import {
  type BatchStore,
  batchResults,
  createQueues,
  createRedisConnection,
  enqueueManifest,
  openStore,
  type RedisConnection,
  type ResultLine,
  readProviderSlots,
  type VeoqQueues,
} from "@veoq/pipeline";
import {
  type FaultOverrides,
  type Simulator,
  type SimulatorStats,
  startSimulator,
} from "@veoq/simulator";
import { type ChaosOptions, DEFAULT_CHAOS_FAULTS, resolveChaosOptions } from "./chaos-options.ts";
import { type ChaosRedis, chaosRedisDataDir, startChaosRedis } from "./chaos-redis.ts";
import { type ChaosFindings, checkChaosRun } from "./check-chaos-run.ts";
import { workerBaseEnvironment } from "./env.ts";
import { seededRandom } from "./seeded-random.ts";
import { type UnexpectedExit, WorkerFleet } from "./worker-fleet.ts";
import { writeChaosManifest } from "./write-chaos-manifest.ts";

const SIM_KEY = "sim-key";
const PREFIX = "{chaos}";
const BATCH_ID = "chaos";
const CHAOS_BUCKET = "veoq-chaos";
const TICK_MS = 250;
const PROGRESS_EVERY_MS = 5_000;

/** Everything a chaos run measured; `ok` is false on any loss, mismatch or unexplained failure. */
export interface ChaosReport {
  ok: boolean;
  /** Set when the run could not finish (setup failed, interrupted); the checks may be missing. */
  error: string | undefined;
  interrupted: boolean;
  settings: {
    jobs: number;
    seconds: number;
    seed: number;
    workers: number;
    timeScale: number;
    killEverySeconds: number;
    faults: FaultOverrides;
    /** The veoq settings the workers ran with (no API key). */
    worker: Record<string, string>;
  };
  /** Kept folder with Redis data, output and logs; undefined when it was removed. */
  workDir: string | undefined;
  timings: {
    /** Writing the manifest and enqueuing it (s). */
    enqueueSeconds: number;
    /** From the start of the enqueue until every item was final, or the limit (s). */
    finalSeconds: number;
    /** Waiting after that for leaked provider slots to be reconciled (s). */
    slotSettleSeconds: number;
    /** The whole run, setup and checks included (s). */
    totalSeconds: number;
  };
  disruptions: {
    workerKills: number;
    /** Each kill: seconds since the enqueue started and the worker (1-based). */
    kills: { atSeconds: number; worker: number }[];
    redisKills: number;
    /** When Redis was killed (s since the enqueue) and how many items were final then. */
    redisKill: { atSeconds: number; itemsFinal: number; downSeconds: number } | undefined;
    unexpectedExits: UnexpectedExit[];
  };
  provider: {
    creates: SimulatorStats["creates"];
    polls: number;
    downloads: SimulatorStats["downloads"];
    responses: Record<string, number>;
    maxInFlightSeen: number;
    tasks: SimulatorStats["tasks"];
  };
  batch: { possibleDuplicates: number; resubmits: number };
  /** Provider slots at the end; undefined when the pipeline cannot report them. */
  slots: { inUse: number; cap: number } | undefined;
  findings: ChaosFindings | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the promise's value, or `undefined` after `ms` (the promise keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function mergeFaults(base: FaultOverrides, extra: FaultOverrides): FaultOverrides {
  return {
    ...base,
    ...extra,
    rateLimit: { ...base.rateLimit, ...extra.rateLimit },
    latencyMs: { ...base.latencyMs, ...extra.latencyMs },
  };
}

/**
 * One chaos run: a private Redis (AOF), the simulator with faults on, `workers` real
 * `veoq worker` processes and a manifest of `jobs` lines; while the items are worked on, a
 * random worker is SIGKILLed every few seconds and restarted, and Redis is SIGKILLed and
 * restarted once. When every item is final (or the time limit passed) it checks the outcome
 * (see check-chaos-run.ts). Always stops its children and Redis, also when it fails.
 */
export async function runChaos(overrides: Partial<ChaosOptions> = {}): Promise<ChaosReport> {
  const options = resolveChaosOptions(overrides);
  const startedAt = Date.now();
  const faults = mergeFaults(DEFAULT_CHAOS_FAULTS, options.faults);
  const workDir = options.workDir ?? (await mkdtemp(path.join(tmpdir(), "veoq-chaos-")));
  await mkdir(path.join(workDir, "logs"), { recursive: true });
  const outputDir = path.join(workDir, "output");
  const say = options.onProgress ?? (() => {});

  const report: ChaosReport = {
    ok: false,
    error: undefined,
    interrupted: false,
    settings: {
      jobs: options.jobs,
      seconds: options.seconds,
      seed: options.seed,
      workers: options.workers,
      timeScale: options.timeScale,
      killEverySeconds: options.killEverySeconds,
      faults,
      worker: {},
    },
    workDir,
    timings: { enqueueSeconds: 0, finalSeconds: 0, slotSettleSeconds: 0, totalSeconds: 0 },
    disruptions: {
      workerKills: 0,
      kills: [],
      redisKills: 0,
      redisKill: undefined,
      unexpectedExits: [],
    },
    provider: {
      creates: { total: 0, accepted: 0, byEndpoint: {}, duplicateBodies: 0, rejected: {} },
      polls: 0,
      downloads: { total: 0, expired: 0 },
      responses: {},
      maxInFlightSeen: 0,
      tasks: { QUEUED: 0, PROCESSING: 0, SUCCEED: 0, FAILED: 0 },
    },
    batch: { possibleDuplicates: 0, resubmits: 0 },
    slots: undefined,
    findings: undefined,
  };

  let redis: ChaosRedis | undefined;
  let s3: LocalS3 | undefined;
  let objectStore: S3ObjectStore | undefined;
  let simulator: Simulator | undefined;
  let fleet: WorkerFleet | undefined;
  let connection: RedisConnection | undefined;
  let queues: VeoqQueues | undefined;
  const killOnExit = () => fleet?.killAllNow();
  process.once("exit", killOnExit);
  try {
    redis = await startChaosRedis(options.redis, chaosRedisDataDir(workDir));
    if (options.output === "s3") {
      s3 = await startLocalS3({ dataDir: path.join(workDir, "s3"), buckets: [CHAOS_BUCKET] });
    }
    simulator = await startSimulator({
      ...faults,
      seed: options.seed,
      timeScale: options.timeScale,
      apiKeys: [SIM_KEY],
    });
    say(`${redis.description}; simulator ${simulator.url}${s3 ? `; s3 ${s3.endpoint}` : ""}`);

    const veoqSettings: Record<string, string> = {
      ...redis.env,
      ...(s3 === undefined ? {} : { ...s3.env, VEOQ_OUTPUT_URL: `s3://${CHAOS_BUCKET}/chaos` }),
      VEOQ_PREFIX: PREFIX,
      JIEKOU_BASE_URL: simulator.url,
      VEOQ_OUTPUT_DIR: outputDir,
      VEOQ_TIME_SCALE: String(options.timeScale),
      // The simulator limits no rate unless told; real-minute pacing would only slow this run.
      VEOQ_PROVIDER_RPM: "0",
      VEOQ_RETRY_BASE_MS: "200",
      // The deadline is in provider seconds; worker kills stall jobs for real seconds, so keep it
      // far beyond the run's own limit: a timeout here would be an artefact of the time scale.
      VEOQ_POLL_DEADLINE_SECONDS: String(Math.ceil((options.seconds * 4) / options.timeScale)),
      VEOQ_MAX_RESUBMITS: "2",
      VEOQ_DOWNLOAD_CONCURRENCY: "8",
      // Above the simulator's cap on concurrent tasks, so the adaptive cap has to find it.
      VEOQ_MAX_IN_FLIGHT: String(Math.max(100, (faults.maxConcurrentTasks ?? 0) * 2)),
      LOG_LEVEL: "info",
    };
    report.settings.worker = veoqSettings;
    const workerEnv = { ...workerBaseEnvironment(), ...veoqSettings, JIEKOU_API_KEY: SIM_KEY };
    const config: VeoqConfig = parseConfig(workerEnv);

    const manifestStart = Date.now();
    const manifestPath = await writeChaosManifest(workDir, options.jobs, options.seed);
    fleet = new WorkerFleet({
      size: options.workers,
      env: workerEnv,
      logDir: path.join(workDir, "logs"),
    });
    fleet.startAll();
    connection = createRedisConnection(config.redis, "worker");
    objectStore = objectStoreFromConfig(config);
    queues = createQueues(connection, PREFIX);
    const store = openStore(connection, { prefix: PREFIX });
    const enqueueStart = Date.now();
    const summary = await enqueueManifest({
      manifestPath,
      batchId: BATCH_ID,
      queues,
      store,
      submitAttempts: config.submitAttempts,
      ...(objectStore === undefined ? {} : { objectStore }),
    });
    if (!summary.enqueued || summary.added !== options.jobs) {
      throw new Error(
        `enqueue added ${summary.added} of ${options.jobs} jobs (${summary.invalid} invalid lines)`,
      );
    }
    report.timings.enqueueSeconds = (Date.now() - manifestStart) / 1000;
    say(`enqueued ${summary.added} jobs in ${report.timings.enqueueSeconds.toFixed(1)} s`);

    const drive = await driveChaos({
      options,
      store,
      fleet,
      redis,
      startedAt: enqueueStart,
      report,
      say,
    });
    report.timings.finalSeconds = (Date.now() - enqueueStart) / 1000;
    report.interrupted = drive.interrupted;

    const settleStart = Date.now();
    const settleLimit = drive.interrupted ? 0 : options.slotSettleSeconds * 1000;
    let slots = await readProviderSlots(connection, PREFIX);
    if (slots.inUse > 0 && settleLimit > 0) {
      say(`waiting up to ${options.slotSettleSeconds} s for ${slots.inUse} provider slots`);
    }
    while (slots.inUse > 0 && Date.now() - settleStart < settleLimit) {
      await sleep(1_000);
      slots = await readProviderSlots(connection, PREFIX);
    }
    report.timings.slotSettleSeconds = (Date.now() - settleStart) / 1000;
    report.slots = { inUse: slots.inUse, cap: slots.cap };

    await fleet.stopAll();
    const lines: ResultLine[] = [];
    for await (const line of batchResults(store, BATCH_ID)) lines.push(line);
    const batch = await store.getBatch(BATCH_ID);
    report.batch = {
      possibleDuplicates: batch?.possibleDuplicates ?? 0,
      resubmits: batch?.resubmits ?? 0,
    };
    const stats = simulator.stats();
    report.provider = {
      creates: stats.creates,
      polls: stats.polls.total,
      downloads: stats.downloads,
      responses: stats.responses,
      maxInFlightSeen: stats.maxInFlightSeen,
      tasks: stats.tasks,
    };
    report.disruptions.unexpectedExits = [...fleet.unexpectedExits];
    report.findings = await checkChaosRun({
      jobs: options.jobs,
      lines,
      simulatorTasks: simulator.tasks(),
      acceptedCreates: stats.creates.accepted,
      outputDir,
      ...(objectStore === undefined
        ? {}
        : {
            readSavedFile: (saved: { path: string; uri?: string | undefined }) =>
              (objectStore as S3ObjectStore).read(saved.uri ?? ""),
          }),
      maxResubmits: config.maxResubmits,
      submitConcurrency: config.submitConcurrency,
      workers: options.workers,
      workerKills: report.disruptions.workerKills,
      redisKills: report.disruptions.redisKills,
      unexpectedExits: fleet.unexpectedExits.length,
      possibleDuplicates: report.batch.possibleDuplicates,
      slots: report.slots,
      timedOut: drive.timedOut,
    });
    report.ok =
      !drive.interrupted && report.findings.checks.every((check) => check.status !== "fail");
    if (drive.interrupted) report.error = "interrupted";
  } catch (error) {
    report.ok = false;
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await fleet?.stopAll().catch(() => {});
    await queues?.close().catch(() => {});
    connection?.disconnect();
    await simulator?.close().catch(() => {});
    objectStore?.close();
    await s3?.stop().catch(() => {});
    await redis?.stop().catch(() => {});
    process.off("exit", killOnExit);
    if (report.ok && !options.keep) {
      await rm(workDir, { recursive: true, force: true });
      report.workDir = undefined;
    }
    report.timings.totalSeconds = (Date.now() - startedAt) / 1000;
  }
  return report;
}

interface DriveInput {
  options: ChaosOptions;
  store: BatchStore;
  fleet: WorkerFleet;
  redis: ChaosRedis;
  /** When the enqueue started: the time limit and the kill times count from here. */
  startedAt: number;
  report: ChaosReport;
  say: (line: string) => void;
}

/**
 * Watches the batch until every item is final, the limit passes or the run is aborted; kills
 * workers and Redis on the way. Waits for every kill to be followed by its restart.
 */
async function driveChaos(input: DriveInput): Promise<{ timedOut: boolean; interrupted: boolean }> {
  const { options, store, fleet, redis, startedAt, report, say } = input;
  const limitMs = options.seconds * 1000;
  const deadline = startedAt + limitMs;
  const random = seededRandom(options.seed + 1);
  const gapMs = () => options.killEverySeconds * 1000 * (0.5 + random());
  const pending: Promise<unknown>[] = [];
  let nextKillAt = startedAt + gapMs();
  let redisKilled = options.redisKillAtFraction === 0;
  let lastProgress = 0;
  let timedOut = false;
  let interrupted = false;
  const since = () => (Date.now() - startedAt) / 1000;

  while (true) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    const now = Date.now();
    if (now >= deadline) {
      timedOut = true;
      break;
    }
    const batch = await within(store.getBatch(BATCH_ID), deadline - now);
    if (batch === undefined) continue;
    const final = batch.counts.completed + batch.counts.failed;
    if (final >= options.jobs) break;

    if (
      !redisKilled &&
      (final >= options.redisKillAtFraction * options.jobs || now - startedAt >= 0.4 * limitMs)
    ) {
      redisKilled = true;
      const atSeconds = since();
      say(`SIGKILL redis at ${atSeconds.toFixed(1)} s (${final} items final)`);
      pending.push(
        (async () => {
          const killedAt = Date.now();
          report.disruptions.redisKills++;
          const what = await redis.disrupt(store.keys.batch(BATCH_ID), options.redisDownMs);
          const downSeconds = (Date.now() - killedAt) / 1000;
          report.disruptions.redisKill = { atSeconds, itemsFinal: final, downSeconds };
          say(`${what}; back after ${downSeconds.toFixed(1)} s`);
        })(),
      );
    }

    if (report.disruptions.workerKills < options.maxWorkerKills && now >= nextKillAt) {
      const up = fleet.runningWorkers();
      const victim = up[Math.floor(random() * up.length)];
      if (victim !== undefined) {
        nextKillAt = now + gapMs();
        report.disruptions.workerKills++;
        report.disruptions.kills.push({ atSeconds: since(), worker: victim + 1 });
        pending.push(fleet.killAndRestart(victim, options.workerDownMs));
      }
    }

    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      const c = batch.counts;
      say(
        `${since().toFixed(0).padStart(4)} s  final ${final}/${options.jobs} (completed ${c.completed}, failed ${c.failed}) | queued ${c.queued}, processing ${c.processing}, downloading ${c.downloading} | worker kills ${report.disruptions.workerKills}, redis kills ${report.disruptions.redisKills}`,
      );
    }
    await sleep(TICK_MS);
  }
  await Promise.all(pending);
  return { timedOut, interrupted };
}
