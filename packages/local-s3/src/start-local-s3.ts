import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { findFreePort } from "@veoq/local-redis";

/** Credentials s3rver accepts (it signs-checks against this one fixed key pair). */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface LocalS3Options {
  /** Folder the objects are stored in; created if missing. */
  dataDir: string;
  /** Buckets to create at start. */
  buckets: readonly string[];
  port?: number;
  startTimeoutMs?: number;
}

export interface LocalS3 {
  /** http://127.0.0.1:<port>: what AWS_ENDPOINT_URL takes (with VEOQ_S3_FORCE_PATH_STYLE=1). */
  endpoint: string;
  port: number;
  dataDir: string;
  /** The AWS_* variables a veoq process needs to use this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/", timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/**
 * Starts s3rver (an S3-compatible server from the npm registry, objects on local disk) as a child
 * process on a free port, for tests and chaos runs. It implements PUT/GET/DELETE/LIST and
 * multipart uploads (create, upload part, complete); it does not implement AbortMultipartUpload.
 */
export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const port = options.port ?? (await findFreePort());
  const dataDir = path.resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const bin = createRequire(import.meta.url).resolve("s3rver/bin/s3rver.js");
  const args = [bin, "-d", dataDir, "-a", "127.0.0.1", "-p", String(port), "--silent"];
  for (const bucket of options.buckets) args.push("--configure-bucket", bucket);
  const child: ChildProcess = spawn(process.execPath, args, { stdio: "ignore" });
  const exited = new Promise<never>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`s3rver exited with code ${code}`))),
  );
  exited.catch(() => {});
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const ready = (async () => {
    while (Date.now() < deadline) {
      if (await answers(port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    throw new Error(`timed out after ${timeoutMs} ms waiting for s3rver on port ${port}`);
  })();
  await Promise.race([ready, exited]);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    dataDir,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
      VEOQ_S3_FORCE_PATH_STYLE: "1",
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await done;
    },
  };
}
