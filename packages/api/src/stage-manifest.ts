import { createHash } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  createManifestContext,
  type LineReport,
  MAX_LINE_BYTES,
  readImageField,
  readManifestLines,
  validateManifestLineSync,
} from "@veoq/manifest";
import { type CostEstimate, CostTally, type PriceTable, requestCost } from "@veoq/pricing";
import { ApiProblem } from "./api-problem.ts";

/** Invalid lines kept for the 422 answer (as `veoq enqueue --json`); the rest are only counted. */
export const MAX_REPORTED_INVALID = 1000;

/** A manifest line as the API reports it (the `invalid_lines` of `veoq enqueue --json`). */
export interface InvalidLineJson {
  line: number;
  custom_id: string | null;
  errors: { path: string; message: string }[];
}

/**
 * A manifest received by the API, validated line by line as it arrived, its valid lines copied
 * to a temp file (`enqueueManifest` reads a file, twice without `skip_invalid`). Nothing of it is
 * held in memory but the custom ids seen (to find duplicates) and the first invalid lines.
 */
export interface StagedManifest {
  /** The temp file of the valid lines, in order. */
  file: string;
  /** SHA-256 (hex) of the body as received: the request's fingerprint for Idempotency-Key. */
  bodyHash: string;
  lines: number;
  valid: number;
  invalid: number;
  /** The first MAX_REPORTED_INVALID invalid lines. */
  invalidLines: InvalidLineJson[];
  /** What the valid lines cost (`veoq estimate`'s tally). */
  estimate: CostEstimate;
  /** The upload's line number of each line of `file` (to name lines the enqueue finds invalid). */
  lineNumberOf(fileLine: number): number;
  /** Removes the temp file. */
  dispose(): Promise<void>;
}

export interface StageOptions {
  /** Largest body in bytes (413 past it). */
  maxBytes: number;
  /** VEOQ_API_IMAGE_DIR: local image paths must resolve inside it; undefined refuses them. */
  imageDir: string | undefined;
  /** Prices the valid lines. */
  prices: PriceTable;
}

/** A manifest body: NDJSON bytes as they stream in, or the `items` of a JSON body. */
export type ManifestBody =
  | { kind: "ndjson"; chunks: AsyncIterable<Buffer> }
  | { kind: "items"; items: readonly unknown[]; bodyHash: string };

export const reportJson = (report: LineReport): InvalidLineJson => ({
  line: report.line,
  custom_id: report.customId,
  errors: report.errors.map((e) => ({ path: e.path, message: e.message })),
});

/**
 * Streams a manifest body through the same line reader and line validation as `veoq enqueue`
 * (readManifestLines with MAX_LINE_BYTES, validateManifestLineSync), plus the API's own rule on
 * local image paths, writing the valid lines to a temp file. The file system is never touched
 * for a caller's paths here (a file's existence and format are checked by the enqueue).
 */
export async function stageManifest(
  body: ManifestBody,
  options: StageOptions,
): Promise<StagedManifest> {
  const dir = await mkdtemp(path.join(tmpdir(), "veoq-api-"));
  const file = path.join(dir, "manifest.jsonl");
  const out = createWriteStream(file);
  const hash = createHash("sha256");
  const imageDir = options.imageDir === undefined ? undefined : path.resolve(options.imageDir);
  const tally = new CostTally(options.prices.currency);
  const ctx = createManifestContext({ manifestDir: imageDir ?? dir, checkFiles: false });
  const staged = {
    lines: 0,
    valid: 0,
    invalid: 0,
    invalidLines: [] as InvalidLineJson[],
  };
  // Upload line numbers of the staged lines, as 32-bit ints (400 KB for 100,000 lines).
  let numbers = new Int32Array(1024);
  const dispose = () => rm(dir, { recursive: true, force: true });
  const record = async (report: LineReport, text: string) => {
    staged.lines++;
    const withRule = report.entry === undefined ? report : checkLocalImages(report, imageDir);
    if (!withRule.ok || withRule.entry === undefined) {
      staged.invalid++;
      if (staged.invalidLines.length < MAX_REPORTED_INVALID) {
        staged.invalidLines.push(reportJson(withRule));
      }
      return;
    }
    if (staged.valid === numbers.length) {
      const grown = new Int32Array(numbers.length * 2);
      grown.set(numbers);
      numbers = grown;
    }
    numbers[staged.valid] = report.line;
    staged.valid++;
    tally.add(requestCost(options.prices, withRule.entry.model, withRule.entry.input));
    await write(out, `${text}\n`);
  };
  try {
    if (body.kind === "ndjson") {
      let bytes = 0;
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of body.chunks) {
          bytes += chunk.length;
          if (bytes > options.maxBytes) {
            throw new ApiProblem(
              "payload_too_large",
              `the manifest is larger than ${options.maxBytes} bytes (VEOQ_API_MAX_MANIFEST_BYTES)`,
            );
          }
          hash.update(chunk);
          yield chunk;
        }
      };
      for await (const line of readManifestLines(counted(), MAX_LINE_BYTES)) {
        if (line.problem !== undefined) {
          await record(
            {
              line: line.number,
              customId: null,
              ok: false,
              errors: [{ path: "", message: line.problem }],
              entry: undefined,
            },
            "",
          );
          continue;
        }
        if (/^\s*$/.test(line.text)) continue;
        await record(validateManifestLineSync(line.text, line.number, ctx), line.text);
      }
    } else {
      let number = 0;
      for (const item of body.items) {
        number++;
        const text = JSON.stringify(item) ?? "null";
        await record(validateManifestLineSync(text, number, ctx), text);
      }
    }
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(resolve);
    });
  } catch (error) {
    out.destroy();
    await dispose();
    throw error;
  }
  const finalNumbers = numbers;
  return {
    file,
    bodyHash: body.kind === "items" ? body.bodyHash : hash.digest("hex"),
    ...staged,
    estimate: tally.estimate(),
    lineNumberOf: (fileLine) => finalNumbers[fileLine - 1] ?? fileLine,
    dispose,
  };
}

/** Writes, waiting for the stream to drain when its buffer is full (bounded memory). */
async function write(out: WriteStream, text: string): Promise<void> {
  if (out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    out.once("error", onError);
    out.once("drain", () => {
      out.off("error", onError);
      resolve();
    });
  });
}

/**
 * The API's rule on local image paths: a caller on another machine names no file of this one,
 * so a local path is only accepted inside VEOQ_API_IMAGE_DIR (a folder the operator shares for
 * that), and refused when it is unset.
 */
function checkLocalImages(report: LineReport, imageDir: string | undefined): LineReport {
  const entry = report.entry;
  if (entry === undefined || entry.localImages.length === 0) return report;
  const errors = entry.localImages.flatMap((field) => {
    const value = readImageField(entry.input, field);
    const absolute = typeof value === "string" ? value : "";
    const relative = imageDir === undefined ? ".." : path.relative(imageDir, absolute);
    if (relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)) return [];
    return [
      {
        path: `input.${field}`,
        message:
          imageDir === undefined
            ? "is a local file path, which the API does not accept (send a URL, a data URI or base64, or set VEOQ_API_IMAGE_DIR on the server)"
            : "is a local file path outside VEOQ_API_IMAGE_DIR (paths are relative to that folder)",
      },
    ];
  });
  if (errors.length === 0) return report;
  return { ...report, ok: false, errors, entry: undefined };
}
