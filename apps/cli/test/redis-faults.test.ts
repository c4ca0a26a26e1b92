import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run-cli.ts";

// Nothing is written to Redis here: every command fails before its first answer.
const servers: Server[] = [];
const sockets: Socket[] = [];

/** A TCP server on a free port that treats each connection with `onConnection`. */
async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** A port nothing listens on (taken, then closed). */
async function closedPort(): Promise<number> {
  const port = await listen(() => {});
  await new Promise((resolve) => servers.pop()?.close(resolve));
  return port;
}

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** `veoq status` against `url`: its exit code, its stderr, and how long it took (start included). */
async function statusAt(url: string) {
  const started = Date.now();
  const run = await runCli(["status"], { env: { ...process.env, REDIS_URL: url } });
  return { ...run, seconds: (Date.now() - started) / 1000 };
}

function expectOneLine(run: { code: number | null; stderr: string }, fault: string) {
  expect(run.code).toBe(1);
  const lines = run.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^veoq: cannot reach Redis at .* \\(REDIS_URL\\): ${fault}`));
  expect(run.stderr).not.toMatch(/max retries|Reached|Protocol error|ParserError|WRONGPASS/);
}

describe("Redis faults are named in one line", () => {
  it("connection refused", async () => {
    const start = Date.now();
    await runCli(["--version"]);
    console.log(`(a bare start takes ${((Date.now() - start) / 1000).toFixed(1)} s here)`);
    const run = await statusAt(`redis://127.0.0.1:${await closedPort()}`);
    expectOneLine(run, "connection refused");
    console.log(`connection refused after ${run.seconds.toFixed(1)} s`);
  });

  it("not a Redis server (an HTTP server's answer)", async () => {
    const port = await listen((socket) => {
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    });
    const run = await statusAt(`redis://127.0.0.1:${port}`);
    expectOneLine(run, "not a Redis server");
    console.log(`not a Redis server after ${run.seconds.toFixed(1)} s`);
  });

  it("timed out (a server that never answers), within 5 s of Redis's silence", async () => {
    const port = await listen(() => {});
    const run = await statusAt(`redis://127.0.0.1:${port}`);
    expectOneLine(run, "timed out \\(no answer within 4 s\\)");
    console.log(`timed out after ${run.seconds.toFixed(1)} s (node start included)`);
  });

  it("authentication failed (the real Redis, a user it does not know)", async () => {
    const url = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    url.username = "veoq-no-such-user";
    url.password = "wrong";
    const run = await statusAt(url.toString());
    expectOneLine(run, "authentication failed");
    expect(run.stderr).not.toContain("wrong"); // the password is never echoed
  });
});
