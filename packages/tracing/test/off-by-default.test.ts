import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { otlpProtocolOf, tracingRequested } from "../src/index.ts";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const OTEL_MODULE = /^(@opentelemetry\/|bullmq-otel$)|otel-item-tracer\.ts$/;

/** Every `import ... from "x"` that is not type-only: the modules loaded with the file. */
async function valueImports(file: string): Promise<string[]> {
  return valueImportsIn(await readFile(file, "utf8"));
}

function valueImportsIn(text: string): string[] {
  return [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)";/gms)].map(
    (m) => m[1] as string,
  );
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

describe("tracing is off by default, at no cost", () => {
  it("is on only when the standard variables ask for it", () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_SERVICE_NAME: "x" })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" })).toBe(true);
    expect(
      tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" }),
    ).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp" })).toBe(true);
    expect(
      tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" }),
    ).toBe(false);
    expect(
      tracingRequested({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" }),
    ).toBe(false);
    expect(otlpProtocolOf({})).toBe("http/protobuf");
    expect(otlpProtocolOf({ OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" })).toBe("http/json");
    expect(
      otlpProtocolOf({
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      }),
    ).toBe("http/protobuf");
  });

  it("loads no OpenTelemetry module unless startTracing runs: only type imports outside it", async () => {
    const entry = path.join(REPO, "packages/tracing/src");
    // The check sees a multi-line value import.
    expect(valueImportsIn('import {\n  a,\n  b,\n} from "@opentelemetry/api";')).toEqual([
      "@opentelemetry/api",
    ]);
    // No file of the package imports an OTel module statically (start-tracing.ts loads them
    // with import(), and passes the API on): even a bundle that inlines them hoists none.
    for (const file of await sourceFiles(entry)) {
      expect(
        (await valueImports(file)).filter((m) => OTEL_MODULE.test(m)),
        file,
      ).toEqual([]);
    }
    // Nothing else in the workspace imports an OTel module (the core has its own ItemTracer).
    const elsewhere = (
      await Promise.all(
        [
          "packages/pipeline/src",
          "packages/logging/src",
          "packages/metrics/src",
          "packages/dashboard/src",
          "packages/api/src",
          "apps/cli/src",
          "apps/api/src",
          "apps/worker/src",
          "apps/dashboard/src",
        ].map((dir) => sourceFiles(path.join(REPO, dir))),
      )
    ).flat();
    for (const file of elsewhere) {
      expect(
        (await valueImports(file)).filter((m) => OTEL_MODULE.test(m)),
        file,
      ).toEqual([]);
    }
  });
});
