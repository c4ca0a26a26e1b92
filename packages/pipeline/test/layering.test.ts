import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layers of packages/pipeline/src as an allow-list per folder (issue 22): what each folder's
 * modules may import, by folder of this package and by package. `typesFrom` may be imported with
 * `import type` only (erased at build: no module of theirs is loaded). A folder missing here
 * fails the test, so a new one is placed on purpose. The files at the root of src
 * (start-workers.ts, the composition root; index.ts, what apps import) may import anything.
 */
const LAYERS: Record<string, { folders: string[]; packages: string[]; typesFrom?: string[] }> = {
  // Pure timing and decisions: only pure modules and zod, never I/O or a stateful layer.
  policy: {
    folders: ["policy"],
    packages: ["zod", "@veoq/contract", "node:path"],
    typesFrom: ["@veoq/provider-client"],
  },
  // BullMQ's side over the store: job shapes and queues, the requeue, the queue pauses of a
  // credentials stop, and the crash reconcilers that ask BullMQ whether a holder's jobs are live.
  jobs: {
    folders: ["jobs", "policy", "store", "store/connection"],
    packages: ["bullmq", "zod", "@veoq/contract"],
    typesFrom: ["@veoq/logging"],
  },
  // Redis connections and their checks: part of the store layer, never above it.
  "store/connection": {
    folders: ["store/connection", "store"],
    packages: ["ioredis", "@veoq/config", "node:crypto"],
  },
  // veoq's records in Redis, the lower layer: every name in Redis (keys.ts: record keys, queue
  // prefixes, job ids), the scripts (and BullMQ's reprocessJob), and the submit queue's wake-up
  // whose Lua half the slot scripts include. It never imports jobs/: BullMQ only as types.
  store: {
    folders: ["store", "store/connection", "store/scripts", "policy"],
    packages: [
      "zod",
      "@veoq/logging",
      "node:crypto",
      "node:os",
      "bullmq/dist/esm/scripts/reprocessJob-8.js",
    ],
    typesFrom: ["@veoq/provider-client", "@veoq/pricing", "bullmq"],
  },
  // The Lua scripts' build step and the module it writes.
  "store/scripts": {
    folders: ["store/scripts"],
    packages: ["node:fs/promises", "node:path", "node:url"],
  },
  // The API-key pool (issue 27): per-key slots, pace, stops and figures.
  keys: {
    folders: ["keys", "jobs", "store", "store/connection"],
    packages: ["@veoq/config"],
    typesFrom: ["@veoq/provider-client"],
  },
  // The stage processors and what they share.
  stages: {
    folders: ["stages", "jobs", "keys", "policy", "store", "store/connection"],
    packages: [
      "bullmq",
      "zod",
      "@veoq/contract",
      "@veoq/logging",
      "@veoq/manifest",
      "@veoq/object-store",
      "@veoq/pricing",
      "@veoq/provider-client",
      "@veoq/video-check",
      "node:fs/promises",
      "node:path",
      "node:url",
    ],
  },
  // What the CLI, API and dashboard do to batches.
  operations: {
    folders: ["operations", "jobs", "policy", "store", "store/connection"],
    packages: [
      "bullmq",
      "@veoq/contract",
      "@veoq/manifest",
      "@veoq/object-store",
      "@veoq/pricing",
      "node:crypto",
      "node:fs",
      "node:fs/promises",
      "node:path",
    ],
    typesFrom: ["stages"],
  },
};

const src = path.join(import.meta.dirname, "..", "src");

/** Every folder of src holding .ts files, as "store/connection". */
function foldersOf(dir: string, base = ""): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory())
    .flatMap((name) => {
      const folder = base === "" ? name : `${base}/${name}`;
      const hasTs = readdirSync(path.join(dir, name)).some((file) => file.endsWith(".ts"));
      return [...(hasTs ? [folder] : []), ...foldersOf(path.join(dir, name), folder)];
    });
}

interface Import {
  file: string;
  from: string;
  typeOnly: boolean;
}

/** The imports (and re-exports) of every .ts file directly in `folder`. */
function importsOf(folder: string): Import[] {
  const dir = path.join(src, folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) => {
      const text = readFileSync(path.join(dir, name), "utf8");
      return [...text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+"([^"]+)"/gms)].map(
        (m) => ({ file: `${folder}/${name}`, from: m[2] as string, typeOnly: m[1] !== undefined }),
      );
    });
}

/** What an import names: a folder of src ("store/connection") or a package ("bullmq"). */
function targetOf(folder: string, from: string): string {
  if (!from.startsWith(".")) return from;
  const resolved = path.relative(src, path.resolve(path.join(src, folder), from));
  return path.dirname(resolved).split(path.sep).join("/");
}

describe("the layers of packages/pipeline/src", () => {
  it("names every folder in the allow-list", () => {
    expect(foldersOf(src).sort()).toEqual(Object.keys(LAYERS).sort());
  });

  for (const [folder, allowed] of Object.entries(LAYERS)) {
    it(`${folder}/ imports only ${[...allowed.folders.map((f) => `${f}/`), ...allowed.packages].join(", ")}${allowed.typesFrom ? ` (types from ${allowed.typesFrom.join(", ")})` : ""}`, () => {
      const imports = importsOf(folder);
      expect(imports.length).toBeGreaterThan(0);
      const outside = imports.filter(({ from, typeOnly }) => {
        const target = targetOf(folder, from);
        if (allowed.folders.includes(target) || allowed.packages.includes(target)) return false;
        return !(typeOnly && (allowed.typesFrom ?? []).includes(target));
      });
      expect(outside).toEqual([]);
    });
  }

  it("has no two folders importing each other (store/ and store/connection/ are one layer)", () => {
    const folders = Object.keys(LAYERS);
    const imported = (folder: string) =>
      new Set(importsOf(folder).map(({ from }) => targetOf(folder, from)));
    const layerOf = (folder: string) => folder.split("/")[0];
    const mutual = folders.flatMap((a) =>
      [...imported(a)]
        .filter((b) => b !== a && folders.includes(b) && layerOf(a) !== layerOf(b))
        .filter((b) => imported(b).has(a))
        .map((b) => `${a} <-> ${b}`),
    );
    expect(mutual).toEqual([]);
  });

  it("keeps store/ below jobs/: no module of store/ imports jobs/, even as a type", () => {
    const up = ["store", "store/connection", "store/scripts"].flatMap((folder) =>
      importsOf(folder).filter(({ from }) => targetOf(folder, from) === "jobs"),
    );
    expect(up).toEqual([]);
  });

  it("keeps policy/ free of anything stateful, even as a type", () => {
    const stateful =
      /^(bullmq|ioredis|undici|node:fs(\/promises)?|\.\.\/(store|stages|operations|jobs)\/)/;
    expect(importsOf("policy").filter((i) => stateful.test(i.from))).toEqual([]);
  });
});
