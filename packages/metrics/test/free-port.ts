import { createServer } from "node:net";

/** A port nothing listens on (it was free a moment ago): a stand-in for a Redis that is down. */
export function findFreePortForTest(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
