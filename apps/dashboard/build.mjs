// Bundles the standalone dashboard into dist/dashboard.js (infra/build/bundle-app.mjs), which containers run
// with `node apps/dashboard/dist/dashboard.js` (or `pnpm --filter @veoq/dashboard-app start`). `pnpm install` builds it.

import { bundleApp } from "../../infra/build/bundle-app.mjs";

await bundleApp({
  appDir: new URL(".", import.meta.url),
  entries: { dashboard: "src/main.ts" },
  // Bull Board's adapter requires bullmq itself and checks our queues against its Queue class.
  alsoExternal: { dashboard: ["bullmq"] },
});
