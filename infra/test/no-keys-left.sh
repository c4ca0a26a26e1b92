#!/usr/bin/env bash
# Runs the given command (the test suites), then fails if it left keys under a test prefix
# ({veoq-…}) on the shared Redis the suites use (REDIS_URL, default 127.0.0.1:6379): every test
# file removes what it wrote (packages/local-redis removeKeysUnder). Keys that were there before
# the run are not counted, so an earlier interrupted run does not fail this one.
set -uo pipefail
url="${REDIS_URL:-redis://127.0.0.1:6379}"
list_keys() { redis-cli -u "$url" --scan --pattern '{veoq-*' 2>/dev/null | sort; }
before=$(mktemp)
trap 'rm -f "$before"' EXIT
list_keys >"$before"
"$@" || exit $?
left=$(list_keys | comm -13 "$before" -)
if [ -n "$left" ]; then
  count=$(printf '%s\n' "$left" | wc -l)
  echo "veoq tests: the run left $count key(s) on $url under test prefixes; by prefix:" >&2
  printf '%s\n' "$left" | sed -E 's/^(\{[^}]*\}).*/\1/' | sort | uniq -c | sort -rn | head -20 >&2
  exit 1
fi
echo "veoq tests: no keys left under test prefixes on $url"
