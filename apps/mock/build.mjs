// Bundles the standalone mock into dist/mock.js (infra/build/bundle-app.mjs), which containers run
// with `node apps/mock/dist/mock.js` (or `pnpm --filter @veoq/mock start`). `pnpm install` builds it.

import { bundleApp } from "../../infra/build/bundle-app.mjs";

await bundleApp({ appDir: new URL(".", import.meta.url), entries: { mock: "src/main.ts" } });
