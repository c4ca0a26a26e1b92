#!/usr/bin/env node
// Runs the TypeScript entry point through tsx (no build step). Linked at the repo root, so
// `pnpm bench` runs it without pnpm's script banner on stdout (which would break --json).
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
