import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LineReport,
  MAX_METADATA_BYTES,
  type ManifestContext,
  validateManifestLine,
  validateManifestLineSync,
} from "../src/index.ts";
import {
  contextIn,
  createManifestFolder,
  IMG2VIDEO,
  img2videoInput,
  LITE,
  liteInput,
  type ManifestFolder,
  manifestLine,
} from "./manifest-fixture.ts";

let folder: ManifestFolder;
beforeAll(() => {
  folder = createManifestFolder();
});
afterAll(() => folder.remove());

function check(text: string, ctx: ManifestContext = contextIn(folder.dir), line = 1): LineReport {
  return validateManifestLineSync(text, line, ctx);
}

function paths(report: LineReport): string[] {
  return report.errors.map((issue) => issue.path);
}

describe("a whole line", () => {
  it("accepts a valid line and returns the entry", () => {
    const report = check(manifestLine("shot-1", IMG2VIDEO, img2videoInput()), undefined, 7);
    expect(report).toMatchObject({ line: 7, customId: "shot-1", ok: true, errors: [] });
    expect(report.entry).toEqual({
      line: 7,
      customId: "shot-1",
      model: IMG2VIDEO,
      input: img2videoInput(),
      localImages: [],
      metadata: undefined,
    });
  });

  it("reports a line that is not JSON with an empty path and no custom_id", () => {
    const report = check('{"custom_id": "a",');
    expect(report.ok).toBe(false);
    expect(report.customId).toBeNull();
    expect(report.entry).toBeUndefined();
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]?.path).toBe("");
    expect(report.errors[0]?.message).toMatch(/^not valid JSON: /);
  });

  it("reports JSON that is not an object", () => {
    const report = check('["shot-1"]');
    expect(report.errors).toEqual([
      { path: "", message: expect.stringContaining("must be a JSON object") },
    ]);
  });

  it("ignores a byte order mark at the start of the line", () => {
    expect(check(`\uFEFF${manifestLine("a", IMG2VIDEO, img2videoInput())}`).ok).toBe(true);
  });

  it("has an async form with the same verdict", async () => {
    const report = await validateManifestLine(
      manifestLine("a", IMG2VIDEO, img2videoInput()),
      3,
      contextIn(folder.dir),
    );
    expect(report).toMatchObject({ ok: true, line: 3, customId: "a" });
  });

  it("reports every problem of a line, not only the first", () => {
    const report = check(JSON.stringify({ custom_id: "a b", model: "veo", input: [] }));
    expect(paths(report)).toEqual(["custom_id", "model", "input"]);
  });
});

describe("unknown top-level fields", () => {
  it("rejects custom-id with a hint towards custom_id", () => {
    const report = check(
      JSON.stringify({ "custom-id": "a", model: IMG2VIDEO, input: img2videoInput() }),
    );
    expect(report.errors).toContainEqual({
      path: "custom-id",
      message: 'unknown field "custom-id"; did you mean "custom_id"?',
    });
    expect(paths(report)).toContain("custom_id");
  });

  it("rejects inputs with a hint towards input", () => {
    const report = check(JSON.stringify({ custom_id: "a", model: IMG2VIDEO, inputs: {} }));
    expect(report.errors).toContainEqual({
      path: "inputs",
      message: 'unknown field "inputs"; did you mean "input"?',
    });
  });

  it("lists the allowed fields when nothing is close", () => {
    const report = check(manifestLine("a", IMG2VIDEO, img2videoInput(), { priority: 1 }));
    expect(report.errors).toEqual([
      {
        path: "priority",
        message: 'unknown field "priority"; a line has only custom_id, model, input, metadata',
      },
    ]);
  });
});

describe("custom_id", () => {
  it.each(["a", "Shot_01.take-2", "x".repeat(128)])("accepts %s", (id) => {
    expect(check(manifestLine(id, IMG2VIDEO, img2videoInput())).ok).toBe(true);
  });

  it.each([
    ["missing", undefined, /is required/],
    ["a number", 7, /must be a string \(got a number\)/],
    ["empty", "", /must not be empty/],
    ["129 characters", "x".repeat(129), /at most 128 characters \(got 129\)/],
    ["a space", "shot 1", /may only contain/],
    ["a slash", "a/b", /may only contain/],
    ["non-ASCII", "plan-é", /may only contain/],
    ["..", "..", /must not be/],
  ])("rejects %s", (_name, id, message) => {
    const report = check(
      JSON.stringify({ custom_id: id, model: IMG2VIDEO, input: img2videoInput() }),
    );
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([{ path: "custom_id", message: expect.stringMatching(message) }]);
  });

  it("reports the custom_id string of an invalid line, and null when it is not a string", () => {
    expect(check(manifestLine("shot 1", IMG2VIDEO, {})).customId).toBe("shot 1");
    expect(check(JSON.stringify({ custom_id: 5 })).customId).toBeNull();
  });

  it("reports a duplicate on the later line, naming the earlier line", () => {
    const ctx = contextIn(folder.dir);
    expect(check(manifestLine("shot-1", IMG2VIDEO, img2videoInput()), ctx, 2).ok).toBe(true);
    expect(check(manifestLine("shot-2", IMG2VIDEO, img2videoInput()), ctx, 3).ok).toBe(true);
    const duplicate = check(manifestLine("shot-1", IMG2VIDEO, img2videoInput()), ctx, 9);
    expect(duplicate.errors).toEqual([
      { path: "custom_id", message: 'duplicate: line 2 already uses "shot-1"' },
    ]);
    const again = check(manifestLine("shot-1", IMG2VIDEO, img2videoInput()), ctx, 10);
    expect(again.errors[0]?.message).toContain("line 2");
  });

  it("treats custom_ids that differ only in case as different", () => {
    const ctx = contextIn(folder.dir);
    expect(check(manifestLine("Shot", IMG2VIDEO, img2videoInput()), ctx, 1).ok).toBe(true);
    expect(check(manifestLine("shot", IMG2VIDEO, img2videoInput()), ctx, 2).ok).toBe(true);
  });
});

describe("model", () => {
  it.each([IMG2VIDEO, LITE])("accepts %s", (model) => {
    const input = model === LITE ? liteInput() : img2videoInput();
    expect(check(manifestLine("a", model, input)).ok).toBe(true);
  });

  it("rejects an unknown model, listing the slugs and suggesting the closest", () => {
    const report = check(manifestLine("a", "veo-3.1-lite-firstlastfram", liteInput()));
    expect(report.errors).toHaveLength(1);
    const [issue] = report.errors;
    expect(issue?.path).toBe("model");
    expect(issue?.message).toContain('did you mean "veo-3.1-lite-firstlastframe"?');
    expect(issue?.message).toContain(IMG2VIDEO);
  });

  it("rejects a missing model and a model that is not a string", () => {
    expect(check(JSON.stringify({ custom_id: "a", input: {} })).errors).toEqual([
      { path: "model", message: expect.stringMatching(/^is required; must be one of /) },
    ]);
    expect(paths(check(JSON.stringify({ custom_id: "a", model: 3, input: {} })))).toEqual([
      "model",
    ]);
  });
});

describe("input", () => {
  it("prefixes the endpoint's issues with input.", () => {
    const report = check(
      manifestLine(
        "shot-7",
        IMG2VIDEO,
        img2videoInput({
          duration_seconds: 6,
          reference_images: [{ image: "https://example.com/a.png", reference_type: "asset" }],
        }),
      ),
    );
    expect(report.errors).toEqual([
      { path: "input.duration_seconds", message: "must be 8 when reference_images is used" },
    ]);
  });

  it("keeps the endpoint's did-you-mean hint for unknown input fields", () => {
    const report = check(manifestLine("a", LITE, liteInput({ duration_seconds: 8 })));
    expect(report.errors).toEqual([
      {
        path: "input.duration_seconds",
        message: expect.stringContaining('did you mean "duration"?'),
      },
    ]);
  });

  it("rejects a missing input and an input that is not an object", () => {
    expect(check(JSON.stringify({ custom_id: "a", model: IMG2VIDEO })).errors).toEqual([
      { path: "input", message: expect.stringMatching(/^is required/) },
    ]);
    expect(check(JSON.stringify({ custom_id: "a", model: IMG2VIDEO, input: "hi" })).errors).toEqual(
      [{ path: "input", message: "must be a JSON object (got a string)" }],
    );
  });
});

describe("metadata", () => {
  it("accepts an object and returns it in the entry", () => {
    const metadata = { scene: 4, tags: ["night"] };
    const report = check(manifestLine("a", IMG2VIDEO, img2videoInput(), { metadata }));
    expect(report.entry?.metadata).toEqual(metadata);
  });

  it("accepts metadata of exactly the size limit", () => {
    const overhead = JSON.stringify({ note: "" }).length;
    const metadata = { note: "x".repeat(MAX_METADATA_BYTES - overhead) };
    expect(check(manifestLine("a", IMG2VIDEO, img2videoInput(), { metadata })).ok).toBe(true);
  });

  it("rejects metadata one byte over the limit, counting UTF-8 bytes", () => {
    const overhead = JSON.stringify({ note: "" }).length;
    const metadata = { note: `${"x".repeat(MAX_METADATA_BYTES - overhead - 1)}é` };
    const report = check(manifestLine("a", IMG2VIDEO, img2videoInput(), { metadata }));
    expect(report.errors).toEqual([
      { path: "metadata", message: expect.stringContaining("16 KiB") },
    ]);
  });

  it.each([
    ["an array", [1]],
    ["a string", "x"],
    ["null", null],
  ])("rejects %s", (_name, metadata) => {
    const report = check(manifestLine("a", IMG2VIDEO, img2videoInput(), { metadata }));
    expect(paths(report)).toEqual(["metadata"]);
  });
});
