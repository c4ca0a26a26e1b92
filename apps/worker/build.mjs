// Bundles the standalone worker into dist/worker.js (infra/build/bundle-app.mjs), which containers run
// with `node apps/worker/dist/worker.js` (or `pnpm --filter @veoq/worker start`). `pnpm install` builds it.

import { bundleApp } from "../../infra/build/bundle-app.mjs";

await bundleApp({ appDir: new URL(".", import.meta.url), entries: { worker: "src/main.ts" } });
