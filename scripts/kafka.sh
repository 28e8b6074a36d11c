#!/usr/bin/env bash
# A single-node Apache Kafka 4.x broker (KRaft, combined broker+controller) on loopback, for tests
# and local development, without Docker.
#
#   scripts/kafka.sh fetch    resolve the broker jars from Maven Central into the cache
#   scripts/kafka.sh start    fetch if needed, format storage, start, wait until ready; prints brokers
#   scripts/kafka.sh stop     stop the broker started by `start` (by PID) and remove its data
#   scripts/kafka.sh status   print the broker address if it is running
#   scripts/kafka.sh console-consumer ARGS...
#                             Kafka's own console consumer (org.apache.kafka.tools), e.g.
#                             --bootstrap-server 127.0.0.1:9092 --topic spendflow.reallocations.meta --from-beginning
#
# Environment: SPENDFLOW_CACHE (default: <repo>/.cache), KAFKA_PORT (default: a free port),
# KAFKA_HEAP (default: 512m).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${SPENDFLOW_CACHE:-$repo/.cache}"
pom="$repo/scripts/kafka/pom.xml"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
libs="$cache/kafka-$version/libs"
run="$cache/kafka-run"

log() { echo "[kafka] $*" >&2; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

fetch() {
  if [ -f "$libs/.complete" ]; then return 0; fi
  command -v java >/dev/null || { log "java not found: install a JDK 17+"; exit 1; }
  command -v mvn >/dev/null || { log "mvn not found: install Maven"; exit 1; }
  log "fetching Apache Kafka $version jars from Maven Central into $libs"
  rm -rf "$libs" && mkdir -p "$libs"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
}

running_pid() {
  [ -f "$run/pid" ] || return 1
  local pid; pid="$(cat "$run/pid")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if pid="$(running_pid)"; then cat "$run/brokers"; return 0; fi
  fetch
  rm -rf "$run" && mkdir -p "$run/data"
  local port cport
  port="${KAFKA_PORT:-$(free_port)}"
  cport="$(free_port)"
  while [ "$cport" = "$port" ]; do cport="$(free_port)"; done
  cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$run/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  cat > "$run/log4j2.properties" <<'L4J'
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
L4J
  local cp="$libs/*"
  local jvm=(-Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true
             -Dkafka.logs.dir="$run" -Dlog4j2.configurationFile="$run/log4j2.properties")
  local cluster
  cluster="$(java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid)"
  java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$run/server.properties" >"$run/format.log" 2>&1 \
    || { log "storage format failed:"; cat "$run/format.log" >&2; exit 1; }
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$run/server.properties" >"$run/stdout.log" 2>&1 &
  echo $! > "$run/pid"
  echo "127.0.0.1:$port" > "$run/brokers"
  log "started pid $(cat "$run/pid") on 127.0.0.1:$port; waiting until it answers"
  if ! node "$repo/scripts/kafka-ready.mjs" "127.0.0.1:$port" 60000; then
    log "broker did not become ready; last log lines:"
    tail -n 40 "$run/stdout.log" "$run/server.log" >&2 2>/dev/null || true
    stop; exit 1
  fi
  cat "$run/brokers"
}

stop() {
  if pid="$(running_pid)"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    log "stopped pid $pid"
  fi
  rm -rf "$run"
}

console_consumer() {
  fetch
  local l4j="$cache/tools-log4j2.properties"
  printf 'status = warn\nappender.err.type = Console\nappender.err.name = err\nappender.err.target = SYSTEM_ERR\nappender.err.layout.type = PatternLayout\nappender.err.layout.pattern = %%p %%m%%n\nrootLogger.level = warn\nrootLogger.appenderRef.err.ref = err\n' > "$l4j"
  exec java -Xmx256m -Dlog4j2.configurationFile="$l4j" -cp "$libs/*" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  console-consumer) shift; console_consumer "$@" ;;
  status) if running_pid >/dev/null; then cat "$run/brokers"; else exit 1; fi ;;
  *) echo "usage: $0 fetch|start|stop|status|console-consumer ARGS" >&2; exit 2 ;;
esac
