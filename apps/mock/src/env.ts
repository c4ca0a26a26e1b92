/** Configuration of the standalone simulator, read from the environment once at start. */
export interface MockEnv {
  /** `MOCK_PORT`: port to listen on (0 = any free port). Default 4010. */
  port: number;
  /** `MOCK_HOST`: interface to listen on. Default "127.0.0.1". */
  host: string;
}

export const DEFAULT_MOCK_ENV: MockEnv = { port: 4010, host: "127.0.0.1" };

/** Read and check `MOCK_PORT` / `MOCK_HOST`; throws a clear error on a bad value. */
export function readMockEnv(env: NodeJS.ProcessEnv = process.env): MockEnv {
  const rawPort = env.MOCK_PORT?.trim();
  let port = DEFAULT_MOCK_ENV.port;
  if (rawPort !== undefined && rawPort !== "") {
    port = Number(rawPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(`MOCK_PORT must be a port from 0 to 65535, got "${rawPort}"`);
    }
  }
  const rawHost = env.MOCK_HOST?.trim();
  const host = rawHost === undefined || rawHost === "" ? DEFAULT_MOCK_ENV.host : rawHost;
  return { port, host };
}
