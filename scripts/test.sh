#!/usr/bin/env bash
# The whole test suite, as the README's second command runs it: installs what the tests need
# (npm packages, the Kafka broker jars), then typecheck, lint, unit + quality tests, and
# integration tests against a real Kafka broker. Ends with one line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache/results

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi
# Debian packages the tests need, installed when missing and we can (root with apt), otherwise we
# say what to install: a JDK 17+ and Maven for the Kafka broker (Maven fetches its jars),
# docker-compose, which validates docker-compose.yml (`docker-compose config` needs no engine),
# InfluxDB and Prometheus for the history and dashboard tests (the prometheus package also brings
# promtool, which checks and unit-tests the alert rules), and Chromium for the status page.
missing=()
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/bin/influxd ] || missing+=(influxdb)
{ [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || missing+=(prometheus)
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing ${missing[*]} from Debian's packages"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || { echo "could not install ${missing[*]}"; echo "0 passed, 1 failed"; exit 1; }
  else
    echo "the tests need ${missing[*]} (e.g. apt-get install ${missing[*]})"
    echo "0 passed, 1 failed"; exit 1
  fi
fi
bash scripts/kafka.sh fetch || { echo "could not fetch the Kafka broker jars"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
check() { # name, command...
  local name="$1"; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!! $name failed"; fi
}
check typecheck npm run --silent typecheck
check lint npm run --silent lint
check "generated config docs are current" npx tsx scripts/gen-config.ts --check

vitest_counts() { # json report → "passed failed"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const failed = r.numFailedTests + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    console.log(r.numPassedTests, failed);
  ' "$1" 2>/dev/null || echo "0 1"
}
run_vitest() { # label, report file, vitest args...
  local label="$1" report="$2"; shift 2
  echo "== $label"
  rm -f "$report"
  npx vitest run "$@" --reporter=default --reporter=json --outputFile.json="$report"
  local rc=$?
  read -r p f < <(vitest_counts "$report")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
}
run_vitest "unit and quality tests" .cache/results/unit.json
run_vitest "integration tests (real Kafka, InfluxDB, Prometheus, Chromium)" .cache/results/integration.json -c vitest.integration.config.ts

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
