import type { EndpointSlug } from "@veoq/contract";
import { afterEach } from "vitest";
import type { SimulatorOverrides } from "../src/options.ts";
import { type Simulator, startSimulator } from "../src/start-simulator.ts";

export const KEY = "sim-key";
export const IMG2VIDEO: EndpointSlug = "veo-3.1-generate-img2video";
export const LITE: EndpointSlug = "veo-3.1-lite-firstlastframe";

/** A minimal valid img2video body with the given prompt. */
export function img2videoBody(prompt = "a cat surfing", extra: Record<string, unknown> = {}) {
  return { prompt, generate_audio: false, ...extra };
}

/** A clock the test moves by hand. */
export interface ManualClock {
  now: number;
  clock: () => number;
  advance(ms: number): void;
}

export function manualClock(start = 1_700_000_000_000): ManualClock {
  const state: ManualClock = {
    now: start,
    clock: () => state.now,
    advance: (ms) => {
      state.now += ms;
    },
  };
  return state;
}

const running: Simulator[] = [];

/** Start a simulator that is closed after the current test. */
export async function startTestSimulator(options: SimulatorOverrides = {}): Promise<Simulator> {
  const sim = await startSimulator(options);
  running.push(sim);
  return sim;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function postCreate(
  sim: Simulator,
  slug: EndpointSlug,
  body: unknown,
  key: string | null = KEY,
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${sim.url}/v3/async/${slug}`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return answerOf(res);
}

/** Create a task and return its id (fails the test on anything but 200 + task_id). */
export async function createTask(
  sim: Simulator,
  body: unknown = img2videoBody(),
  slug: EndpointSlug = IMG2VIDEO,
  key = KEY,
): Promise<string> {
  const answer = await postCreate(sim, slug, body, key);
  const taskId = (answer.json as { task_id?: unknown } | undefined)?.task_id;
  if (answer.status !== 200 || typeof taskId !== "string") {
    throw new Error(`create failed: ${answer.status} ${answer.text}`);
  }
  return taskId;
}

export interface TaskResultBody {
  task: {
    task_id: string;
    task_type: string;
    status: string;
    reason: string;
    eta?: number;
    progress_percent?: number;
  };
  videos: { video_url: string; video_url_ttl: string | number; video_type: string }[];
  images: unknown[];
  audios: unknown[];
  extra: { seed: string; debug_info: Record<string, string> };
}

export async function getTaskResult(
  sim: Simulator,
  taskId: string,
  key: string | null = KEY,
): Promise<Answer & { result: TaskResultBody }> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${sim.url}/v3/async/task-result?task_id=${encodeURIComponent(taskId)}`, {
    headers,
  });
  const answer = await answerOf(res);
  return { ...answer, result: answer.json as TaskResultBody };
}

export async function postJson(sim: Simulator, path: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${sim.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return answerOf(res);
}

export async function getJson(sim: Simulator, path: string): Promise<Answer> {
  return answerOf(await fetch(`${sim.url}${path}`));
}
