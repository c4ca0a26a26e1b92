// Bundles the standalone HTTP API into dist/api.js (infra/build/bundle-app.mjs), which containers run
// with `node apps/api/dist/api.js` (or `pnpm --filter @veoq/api-app start`). `pnpm install` builds it.

import { bundleApp } from "../../infra/build/bundle-app.mjs";

await bundleApp({ appDir: new URL(".", import.meta.url), entries: { api: "src/main.ts" } });
