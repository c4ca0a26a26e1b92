import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Files the CLI reads at run time (the demo's sample manifest and images, Redis's settings).
 * The installed package carries copies in dist/assets (see build.mjs); from the checkout they
 * are read in place.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BUNDLED_ASSETS = path.join(HERE, "assets");
const REPO_ROOT = path.resolve(HERE, "../../..");
const bundled = existsSync(BUNDLED_ASSETS);

/** The folder holding the sample manifest.jsonl and its images/. */
export const DEMO_SAMPLE_DIR = bundled
  ? path.join(BUNDLED_ASSETS, "demo")
  : path.join(REPO_ROOT, "examples", "demo");

/** infra/redis/redis.conf: AOF everysec, noeviction. */
export const REDIS_CONF_PATH = bundled
  ? path.join(BUNDLED_ASSETS, "redis.conf")
  : path.join(REPO_ROOT, "infra", "redis", "redis.conf");
