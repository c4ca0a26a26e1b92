#!/usr/bin/env node
// `pnpm veoq` in the checkout: runs the compiled bundle (dist/veoq.js, built by `pnpm install`
// and `pnpm build`), the same JavaScript the installed command runs. bin/veoq-sources.js runs
// the TypeScript sources through tsx instead (the tests do, and so can you while editing).
try {
  await import("../dist/veoq.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/veoq.js")) {
    process.stderr.write("veoq: apps/cli/dist is missing: run `pnpm build` (or `pnpm install`)\n");
    process.exit(1);
  }
  throw error;
}
