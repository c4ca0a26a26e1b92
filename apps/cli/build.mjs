// Bundles the CLI into dist/ for the installable package (`pnpm pack`, `npm install -g`).
//
// esbuild, not tsc or tsup: the workspace packages export their TypeScript sources
// (`"exports": "./src/index.ts"`), so a plain tsc emit would leave imports of .ts files that
// Node cannot run. esbuild inlines every @veoq/* package into a few ESM chunks in ~0.2 s and is
// already in the tree (tsx runs on it); tsup would only wrap the same esbuild call. Third-party
// packages stay external: they are listed in this package's dependencies, so installing the
// tarball installs them (Bull Board's UI and pino read files next to their own code).
import { cp, mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = here("./dist/");

await rm(dist, { recursive: true, force: true });
await build({
  entryPoints: { veoq: here("./src/main.ts") },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.18",
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
  plugins: [
    {
      name: "third-party-external",
      setup(b) {
        // Bare imports that are not workspace packages (node:*, zod, bullmq, ...) stay imports.
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith("@veoq/") ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
});
// Files read at run time: the demo's sample manifest and images, and Redis's settings.
await mkdir(`${dist}assets`, { recursive: true });
await cp(here("../../examples/demo"), `${dist}assets/demo`, { recursive: true });
await cp(here("../../infra/redis/redis.conf"), `${dist}assets/redis.conf`);
