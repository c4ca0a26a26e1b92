// Bundles the CLI into dist/ (infra/build/bundle-app.mjs): dist/veoq.js, the command, and one
// bundle per command, which veoq.js imports when that command runs. `pnpm install` builds it
// (the root's prepare), `pnpm pack` too (prepack); `pnpm veoq` and the installed `veoq` run it.

import { readdirSync } from "node:fs";
import { bundleApp } from "../../infra/build/bundle-app.mjs";

const commands = readdirSync(new URL("./src/commands/", import.meta.url)).filter((name) =>
  name.endsWith(".ts"),
);
await bundleApp({
  appDir: new URL(".", import.meta.url),
  entries: {
    veoq: "src/main.ts",
    ...Object.fromEntries(
      commands.map((file) => [`command-${file.replace(/\.ts$/, "")}`, `src/commands/${file}`]),
    ),
  },
  // Bull Board's adapter requires bullmq itself and checks our queues against its Queue class.
  alsoExternal: { "command-dashboard": ["bullmq"], "command-demo": ["bullmq"] },
});
