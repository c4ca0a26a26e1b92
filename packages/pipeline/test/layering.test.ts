import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** The import specifiers of every source file in one folder of src. */
function importsOf(folder: string): { file: string; from: string }[] {
  const dir = path.join(import.meta.dirname, "..", "src", folder);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".ts"))
    .flatMap((name) => {
      const text = readFileSync(path.join(dir, name), "utf8");
      return [...text.matchAll(/from\s+"([^"]+)"/g)].map((m) => ({
        file: `${folder}/${name}`,
        from: m[1] as string,
      }));
    });
}

describe("the layers of packages/pipeline/src", () => {
  it("keeps policy/ pure: no bullmq, ioredis, node:fs, nor any stateful layer", () => {
    const stateful =
      /^(bullmq|ioredis|node:fs(\/promises)?|\.\.\/(store|stages|operations|jobs)\/)/;
    const found = importsOf("policy").filter((i) => stateful.test(i.from));
    expect(found).toEqual([]);
  });

  it("keeps the lower layers from importing the stages or operations", () => {
    const upward = /^(\.\.\/)+(stages|operations)\//;
    const found = ["jobs", "policy", "store", "store/connection", "keys"]
      .flatMap(importsOf)
      .filter((i) => upward.test(i.from));
    expect(found).toEqual([]);
  });
});
