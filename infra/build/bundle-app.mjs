// Bundles an app (apps/cli, apps/worker, apps/dashboard, apps/mock) into its dist/ folder: the
// JavaScript every `veoq` command, container and `pnpm veoq` runs (no tsx at run time).
//
// esbuild, not tsc or tsup: the workspace packages export their TypeScript sources
// (`"exports": "./src/index.ts"`), so a plain tsc emit would leave imports of .ts files that
// Node cannot run. esbuild inlines every @veoq/* package in ~0.3 s and is already in the tree
// (tsx runs on it); tsup would only wrap the same esbuild call.
//
// - One self-contained file per entry point, no shared chunks: esbuild's code splitting puts a
//   module in the chunk of every entry that reaches any of its files, so one shared chunk ended
//   up holding the whole pipeline and every command loaded the AWS SDK, mp4box and undici
//   (1.2 s of CPU for `veoq --version`). A dynamic import of a file that is itself an entry
//   point (the CLI's per-command `import("./commands/status.ts")`) stays a dynamic import of
//   that entry's output, so a command loads its own bundle and nothing else. The workspace
//   packages declare `"sideEffects": false`, so an unused export costs nothing either.
// - Third-party packages are inlined too, but for those in KEEP_EXTERNAL: loading bullmq,
//   ioredis and zod from node_modules (hundreds of small files, each resolved, read and compiled
//   apart) cost `veoq status` 0.25 s of its 0.45 s of CPU; inlined, the command takes 0.22 s.
//   The external ones stay imports, which the app lists in its dependencies (the check below
//   refuses to build otherwise), so installing the CLI tarball installs them, and in the
//   checkout pnpm links them next to the app.
// - Files read at run time (assets: the price table, the simulator's videos, redis.conf, the
//   demo's sample) are named in the sources by `assetPath("<path in the repository>")` from
//   @veoq/assets. The build collects every such call from the modules it bundles and copies each
//   file to dist/assets/<same path>; in a bundle assetPath resolves there (see asset-path.ts).

import { cp, mkdir, readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const builtins = new Set(builtinModules);

/** The package a bare import names: "@aws-sdk/client-s3/x" → "@aws-sdk/client-s3". */
const packageOf = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");

/**
 * Third-party packages left as imports: they read files next to their own code (Bull Board's UI,
 * pino's transports in worker threads), load optional native code (msgpackr-extract), or are big
 * and loaded only where used (the AWS SDK, by a dynamic import; express and Bull Board by the
 * dashboard; prom-client by the metrics; mp4box by the output checks).
 */
const KEEP_EXTERNAL = new Set([
  "@aws-sdk/client-s3",
  "@aws-sdk/lib-storage",
  "@bull-board/api",
  "@bull-board/express",
  "express",
  "mp4box",
  "pino",
  "prom-client",
]);

/**
 * Optional packages an inlined one loads in a try/catch, with a fallback when absent: left as
 * imports and not required in dependencies (msgpackr's native encoder; BullMQ's Valkey GLIDE
 * client, used only when handed one).
 */
const OPTIONAL_EXTERNAL = new Set(["msgpackr-extract", "@valkey/valkey-glide"]);

/** A call of assetPath, with its string literal: the only form the build can see. */
const ASSET_CALL = /(?<!function )\bassetPath\(\s*(?:"([^"]+)"|'([^']+)')?/g;
/** Comment lines, which may mention assetPath without calling it. */
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*).*$/gm;

/**
 * Bundles `entries` ({ outputName: "src/file.ts" }, relative to `appDir`) into appDir/dist/,
 * one `<outputName>.js` per entry, and copies the assets they name into dist/assets/.
 * `alsoExternal` ({ outputName: ["pkg"] }) keeps more packages as imports in some bundles: the
 * dashboard's keep bullmq, which Bull Board's adapter requires itself and checks our queues
 * against (`instanceof Queue`), so both must be the same copy.
 * Exits the process with a message on an undeclared third-party import or a non-literal
 * assetPath call.
 */
export async function bundleApp({ appDir, entries, alsoExternal = {} }) {
  const dir = fileURLToPath(appDir);
  const dist = path.join(dir, "dist");
  const manifest = JSON.parse(await readFile(path.join(dir, "package.json"), "utf8"));
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const outputOf = new Map(
    Object.entries(entries).map(([name, file]) => [path.resolve(dir, file), name]),
  );
  const undeclared = new Set();
  const assets = new Set();
  const problems = [];

  await rm(dist, { recursive: true, force: true });
  // One esbuild call per set of extra externals (most entries have none).
  const groups = new Map();
  for (const [name, file] of Object.entries(entries)) {
    const extra = [...(alsoExternal[name] ?? [])].sort();
    const key = extra.join(",");
    if (!groups.has(key)) groups.set(key, { extra: new Set(extra), entries: {} });
    groups.get(key).entries[name] = path.resolve(dir, file);
  }
  const outputs = [];
  for (const group of groups.values()) {
    const { metafile } = await build({
      entryPoints: group.entries,
      outdir: dist,
      bundle: true,
      format: "esm",
      platform: "node",
      target: "node20.18",
      // Inlined CommonJS packages call require() for Node's built-ins and may read __dirname /
      // __filename (BullMQ's and ioredis's optional paths); an ESM file has none of the three.
      banner: {
        js: [
          "#!/usr/bin/env node",
          'import { createRequire as __veoqCreateRequire } from "node:module";',
          'import { fileURLToPath as __veoqFileURLToPath } from "node:url";',
          "const require = __veoqCreateRequire(import.meta.url);",
          "const __filename = __veoqFileURLToPath(import.meta.url);",
          'const __dirname = __veoqFileURLToPath(new URL(".", import.meta.url));',
        ].join("\n"),
      },
      // asset-path.ts: in a bundle, assets are in dist/assets/ (see there).
      define: { __VEOQ_BUNDLE__: "true" },
      logLevel: "warning",
      metafile: true,
      // Whitespace and syntax only: identifiers keep their names, so stack traces still read.
      // The per-command bundles repeat their dependencies (see above), so this halves dist/.
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: false,
      plugins: [
        {
          name: "entry-points-stay-separate",
          setup(b) {
            b.onResolve({ filter: /^\./ }, (args) => {
              if (args.kind !== "dynamic-import") return undefined;
              const name = outputOf.get(path.resolve(args.resolveDir, args.path));
              return name === undefined ? undefined : { path: `./${name}.js`, external: true };
            });
          },
        },
        {
          name: "third-party-external",
          setup(b) {
            // Node's built-ins and KEEP_EXTERNAL stay imports; the rest is inlined.
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              const name = packageOf(args.path);
              const keep =
                args.path.startsWith("node:") ||
                builtins.has(name) ||
                KEEP_EXTERNAL.has(name) ||
                group.extra.has(name) ||
                OPTIONAL_EXTERNAL.has(name);
              return keep ? { path: args.path, external: true } : undefined;
            });
          },
        },
        {
          name: "collect-assets",
          setup(b) {
            b.onLoad({ filter: /\.ts$/ }, async (args) => {
              if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
              const source = (await readFile(args.path, "utf8")).replace(COMMENT_LINE, "");
              for (const match of source.matchAll(ASSET_CALL)) {
                const asset = match[1] ?? match[2];
                if (asset === undefined) {
                  problems.push(
                    `${path.relative(REPO_ROOT, args.path)}: assetPath( needs a string literal (the build copies what it names)`,
                  );
                } else {
                  assets.add(asset);
                }
              }
              return undefined;
            });
          },
        },
      ],
    });
    outputs.push(...Object.values(metafile.outputs));
  }
  // A third-party import left in the output that the app does not declare would install fine
  // and then fail at run time with ERR_MODULE_NOT_FOUND: refuse to build instead. (Only what the
  // output still imports counts: tree shaking drops the imports of modules a bundle does not use.)
  for (const output of outputs) {
    for (const { path: specifier, external } of output.imports) {
      const name = packageOf(specifier);
      if (!external || specifier.startsWith("node:") || specifier.startsWith(".")) continue;
      if (!builtins.has(name) && !OPTIONAL_EXTERNAL.has(name) && !declared.has(name)) {
        undeclared.add(name);
      }
    }
  }
  const where = path.relative(REPO_ROOT, dir);
  if (undeclared.size > 0) {
    const them = undeclared.size === 1 ? "it" : "them";
    problems.push(
      `the bundle imports ${[...undeclared].sort().join(", ")}, which ${where}/package.json does not list in "dependencies"; add ${them} there (same version as the package that uses ${them})`,
    );
  }
  if (problems.length > 0) {
    for (const problem of problems) console.error(`${where}: ${problem}`);
    process.exit(1);
  }
  for (const asset of [...assets].sort()) {
    const target = path.join(dist, "assets", asset);
    await mkdir(path.dirname(target), { recursive: true });
    await cp(path.join(REPO_ROOT, asset), target, { recursive: true });
  }
}
