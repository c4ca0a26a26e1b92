import { DEFAULT_SIMULATOR_OPTIONS, startSimulator } from "@veoq/simulator";
import { readMockEnv } from "./env.ts";

/** Standalone simulator (`node apps/mock/dist/mock.js` once built), configured by MOCK_PORT / MOCK_HOST. */
let env: ReturnType<typeof readMockEnv>;
try {
  env = readMockEnv();
} catch (error) {
  process.stderr.write(`mock: ${(error as Error).message}\n`);
  process.exit(2);
}

const simulator = await startSimulator({ port: env.port, host: env.host });
const apiKey = DEFAULT_SIMULATOR_OPTIONS.apiKeys[0] ?? "sim-key";
process.stdout.write(`JIEKOU_BASE_URL=${simulator.url} JIEKOU_API_KEY=${apiKey}\n`);

const stop = (): void => {
  process.off("SIGINT", stop);
  process.off("SIGTERM", stop);
  void simulator.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
