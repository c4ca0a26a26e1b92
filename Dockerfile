# syntax=docker/dockerfile:1
# One image for every veoq role; the command picks it:
#   docker run IMAGE                      -> veoq worker (metrics, /healthz, /livez on :9464)
#   docker run IMAGE dashboard --host 0.0.0.0
#   docker run IMAGE mock --host 0.0.0.0  (the provider simulator)
#   docker run -e VEOQ_API_TOKENS=... IMAGE api --host 0.0.0.0   (the HTTP API, /v1 on :3001)
#   docker run IMAGE enqueue /app/dist/assets/examples/demo/manifest.jsonl   (any CLI command)
# Built and run by infra/test/container-test.sh (see docs/deploy.md).

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: the bundled CLI (apps/cli/build.mjs) and its production dependencies -------------
FROM ${NODE_IMAGE} AS build
# A CA bundle to trust when the registry is reached through a TLS-re-signing proxy (a path inside
# the build, mounted by the builder). Empty by default: a normal build is untouched. Not a secret.
ARG NODE_EXTRA_CA_CERTS=""
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-fund --no-audit --loglevel=error "pnpm@${PNPM_VERSION}"
WORKDIR /src
# Dependencies first (only the lockfile): this layer is reused until pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --reporter=silent
COPY . .
RUN pnpm install --offline --frozen-lockfile --reporter=silent \
 && pnpm --filter @veoq/cli build \
 && pnpm --filter @veoq/cli deploy --legacy --prod /out \
 && rm -rf /out/bin \
 && rm -rf /out/node_modules/.pnpm/typescript@*
# (TypeScript, 23 MB, arrives only as the optional peer of valibot, which Bull Board uses for its
# types; nothing loads it at run time.)
# (Files the bundle reads at run time, the price table and the simulator's videos among them, are
# in dist/assets/: the build copies every assetPath of @veoq/assets there.)

# ---- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# tini as PID 1: forwards SIGTERM/SIGINT to veoq (the worker drains on it) and reaps children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && mkdir -p /data/output && chown -R node:node /data
ENV NODE_ENV=production \
    VEOQ_OUTPUT_DIR=/data/output \
    VEOQ_HEALTHCHECK_URL=http://127.0.0.1:9464/livez \
    NODE_COMPILE_CACHE=/app/.node-compile-cache
COPY --from=build /out /app
RUN chmod +x /app/dist/veoq.js && ln -s /app/dist/veoq.js /usr/local/bin/veoq \
 && mkdir /app/.node-compile-cache && chown node:node /app/.node-compile-cache
USER node
# V8's compile cache for the long-running roles, filled as the user that runs them (Node keys
# the cache by uid): a container starts faster, since Node no longer compiles its dependencies.
RUN for role in worker dashboard mock api; do veoq "$role" --help >/dev/null; done
WORKDIR /data
EXPOSE 9464 3000 3001 4010
# The worker's /livez by default (fails when its loop is wedged while jobs wait); the dashboard
# and the API set VEOQ_HEALTHCHECK_URL to their /healthz; the simulator has no health route (compose.yaml gives
# it its own test).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.VEOQ_HEALTHCHECK_URL).then(r=>process.exit(r.status<400?0:1),()=>process.exit(1))"]
ENTRYPOINT ["tini", "--", "veoq"]
CMD ["worker", "--metrics-host", "0.0.0.0", "--metrics-port", "9464", "--json"]
