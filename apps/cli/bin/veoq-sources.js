#!/usr/bin/env node
// Runs the TypeScript entry point through tsx (no build step, ~1 s more per start): what the
// tests spawn, so they always run the sources as they are. `veoq` itself runs dist/ (bin/veoq.js).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
