import path from "node:path";
import { fileURLToPath } from "node:url";

declare global {
  /**
   * `true` in the esbuild bundles (infra/build/bundle-app.mjs defines it); not defined when the
   * sources run (tsx, vitest).
   */
  var __VEOQ_BUNDLE__: boolean | undefined;
}

/**
 * The root assets are found under: the repository when the sources run (this file is
 * packages/assets/src/asset-path.ts), dist/assets/ next to the bundle that holds this code when
 * a bundle runs (the build copies each asset there under its path in the repository).
 */
const ASSET_ROOT =
  typeof __VEOQ_BUNDLE__ !== "undefined" && __VEOQ_BUNDLE__
    ? fileURLToPath(new URL("./assets/", import.meta.url))
    : fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The absolute path of a file (or folder) read at run time, named by its path in the repository,
 * e.g. `"packages/pricing/prices/default-prices.json"`. The one way code finds such files: it
 * works from the sources, from the CLI installed out of its tarball and from the apps' bundles,
 * because the build copies every file named in an assetPath call (a string literal, which the
 * build reads from the sources) into the bundle's dist/assets/.
 */
export function assetPath(repoPath: string): string {
  return path.join(ASSET_ROOT, repoPath);
}
