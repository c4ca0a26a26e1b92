// Bundles the CLI into dist/ for the installable package (`pnpm pack`, `npm install -g`).
//
// esbuild, not tsc or tsup: the workspace packages export their TypeScript sources
// (`"exports": "./src/index.ts"`), so a plain tsc emit would leave imports of .ts files that
// Node cannot run. esbuild inlines every @veoq/* package into a few ESM chunks in ~0.2 s and is
// already in the tree (tsx runs on it); tsup would only wrap the same esbuild call. Third-party
// packages stay external: they are listed in this package's dependencies, so installing the
// tarball installs them (Bull Board's UI and pino read files next to their own code).

import { cp, mkdir, readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const dist = here("./dist/");

const manifest = JSON.parse(await readFile(here("./package.json"), "utf8"));
const declared = new Set(Object.keys(manifest.dependencies ?? {}));
const builtins = new Set(builtinModules);
/** The package a bare import names: "@aws-sdk/client-s3/x" → "@aws-sdk/client-s3". */
const packageOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");
const undeclared = new Set();

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
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith("@veoq/")) return undefined;
          const name = packageOf(args.path);
          // An external the tarball does not declare would install fine and then fail at run
          // time with ERR_MODULE_NOT_FOUND: refuse to build instead.
          if (!args.path.startsWith("node:") && !builtins.has(name) && !declared.has(name)) {
            undeclared.add(name);
          }
          return { path: args.path, external: true };
        });
      },
    },
  ],
});
if (undeclared.size > 0) {
  console.error(
    `apps/cli/build.mjs: the bundle imports ${[...undeclared].sort().join(", ")}, which apps/cli/package.json does not list in "dependencies"; add ${undeclared.size === 1 ? "it" : "them"} there (same version as the package that uses ${undeclared.size === 1 ? "it" : "them"})`,
  );
  process.exit(1);
}
// Files read at run time: the demo's sample manifest and images, and Redis's settings.
await mkdir(`${dist}assets`, { recursive: true });
await cp(here("../../examples/demo"), `${dist}assets/demo`, { recursive: true });
await cp(here("../../infra/redis/redis.conf"), `${dist}assets/redis.conf`);
