#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft: broker + controller in one JVM), no Docker.
#
#   kafka.sh fetch    download the Kafka jars from Maven Central into infra/kafka/libs (once)
#   kafka.sh start    fetch, format storage (first time only), start the broker, create topics
#   kafka.sh stop     SIGTERM, wait up to KAFKA_STOP_TIMEOUT s, then SIGKILL
#   kafka.sh status   exit 0 if running and answering, 1 if alive but not answering, 3 if not running
#   kafka.sh topics   create missing topics (idempotent) and print them with partition counts
#   kafka.sh reset    stop and delete the data directory
#
# Files: data in .data/kafka (KAFKA_DATA_DIR), log in .run/kafka.log, pid in .run/kafka.pid.
#        A second broker next to the first (e.g. the chaos tests' own) needs its own ports, data
#        dir and files: KAFKA_PID_FILE, KAFKA_LOG_FILE, KAFKA_LOCK_FILE override the three above.
# Env:   KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DATA_DIR,
#        KAFKA_HEAP ("-Xmx512m -Xms512m"), KAFKA_START_TIMEOUT (60), KAFKA_STOP_TIMEOUT (20).
#        For `topics` against some other broker (the compose init container does this):
#        KAFKA_BOOTSTRAP (host:port) and KAFKA_LIBS (a Kafka libs/ directory, e.g. /opt/kafka/libs).
set -euo pipefail

# ---------------------------------------------------------------------------
# Topics: the ONE place where they are listed (infra/compose.yaml runs `kafka.sh topics` too).
#   name  partitions  [topic configs, comma separated]
# Every topic also gets a "<name>.dlq" twin with DLQ_PARTITIONS partitions (no extra configs).
TOPICS=(
  "product-reservation-request   4"
  "product-reservation-response  4"
  "payment-request               4"
  "payment-response              4"
  "product-catalog               4  cleanup.policy=compact"
)
DLQ_SUFFIX=".dlq"
DLQ_PARTITIONS=1
# ---------------------------------------------------------------------------

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$KAFKA_DIR/../.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/.data/kafka}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:$KAFKA_PORT}"
DEFAULT_LIBS="$KAFKA_DIR/libs"
KAFKA_LIBS="${KAFKA_LIBS:-$DEFAULT_LIBS}"

RUN_DIR="$ROOT/.run"
LOG_FILE="${KAFKA_LOG_FILE:-$RUN_DIR/kafka.log}"
PID_FILE="${KAFKA_PID_FILE:-$RUN_DIR/kafka.pid}"
LOCK_FILE="${KAFKA_LOCK_FILE:-$RUN_DIR/kafka.lock}"
CONF_FILE="$KAFKA_DATA_DIR/server.properties"
LOG_DIRS="$KAFKA_DATA_DIR/kraft-logs"
STAMP_FILE="$DEFAULT_LIBS/.complete"

# Short-lived CLI JVMs (storage format, kafka-topics): C1 only + serial GC start faster, and an
# AppCDS archive of the tool classes (written on the first start, lives in libs/ so a re-fetch
# drops it) halves the remaining startup time. JVM warnings go to stderr, never into parsed output.
TOOL_JAVA_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto
  -Xlog:disable -Xlog:all=warning:stderr
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2-tools.properties")
TOOLS_CDS="$DEFAULT_LIBS/.tools.jsa"
# An archive only fits the classpath and the JVM build it was made with: key it by both.
tools_cds_key() { echo "$DEFAULT_LIBS $(stat -Lc '%n %s %Y' "$(command -v java)" 2>/dev/null)"; }
if [[ "$KAFKA_LIBS" == "$DEFAULT_LIBS" && -f "$TOOLS_CDS" ]]; then
  if [[ "$(cat "$TOOLS_CDS.key" 2>/dev/null)" == "$(tools_cds_key)" ]]; then
    TOOL_JAVA_OPTS+=("-XX:SharedArchiveFile=$TOOLS_CDS")
  else
    rm -f "$TOOLS_CDS" "$TOOLS_CDS.key" # moved checkout or new JVM: rebuilt on the next start
  fi
fi

log() { echo "kafka: $*"; }
die() { echo "kafka: ERROR: $*" >&2; exit 1; }

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found (Kafka 4.x needs Java 17+; run infra/up.sh or apt-get install -y openjdk-17-jre-headless)"
}

tool() { java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"; }
topics_cmd() { tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" "$@"; }

# "name partitions configs" for every topic, DLQ twins included.
topic_specs() {
  local spec name parts cfg
  for spec in "${TOPICS[@]}"; do
    read -r name parts cfg <<<"$spec"
    echo "$name $parts ${cfg:-}"
  done
  for spec in "${TOPICS[@]}"; do
    read -r name _ <<<"$spec"
    echo "$name$DLQ_SUFFIX $DLQ_PARTITIONS"
  done
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Admin client settings for probes: give up after a few seconds instead of the default 60.
probe_props() {
  printf '%s\n' request.timeout.ms=3000 default.api.timeout.ms=5000 \
    socket.connection.setup.timeout.ms=1000 socket.connection.setup.timeout.max.ms=2000 \
    reconnect.backoff.max.ms=500
}

# Prints the broker's topic list if it answers a metadata request; fails otherwise.
list_topics() {
  timeout 20 java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config <(probe_props) --list 2>/dev/null
}

# Writes the AppCDS archive for the tools (once, from a real --list against a live broker).
make_tools_cds() {
  [[ "$KAFKA_LIBS" == "$DEFAULT_LIBS" && ! -f "$TOOLS_CDS" ]] || return 0
  if timeout 30 java "${TOOL_JAVA_OPTS[@]}" "-XX:ArchiveClassesAtExit=$TOOLS_CDS.tmp" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config <(probe_props) \
    --list >/dev/null 2>&1 && [[ -s "$TOOLS_CDS.tmp" ]]; then
    mv -f "$TOOLS_CDS.tmp" "$TOOLS_CDS"
    tools_cds_key >"$TOOLS_CDS.key"
    TOOL_JAVA_OPTS+=("-XX:SharedArchiveFile=$TOOLS_CDS")
  else
    rm -f "$TOOLS_CDS.tmp"
  fi
}

# pid of our broker (from the pid file, or found by its command line), or fail.
running_pid() {
  local pid=""
  if [[ -f "$PID_FILE" ]]; then
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka\.Kafka $CONF_FILE"; then
      echo "$pid"
      return 0
    fi
    rm -f "$PID_FILE" # stale (e.g. after kill -9 or a reboot)
  fi
  pid="$(pgrep -f -n "kafka\.Kafka $CONF_FILE" || true)"
  if [[ -n "$pid" ]]; then
    echo "$pid" >"$PID_FILE"
    echo "$pid"
    return 0
  fi
  return 1
}

take_lock() {
  mkdir -p "$RUN_DIR" "$(dirname "$LOCK_FILE")" "$(dirname "$PID_FILE")" "$(dirname "$LOG_FILE")"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another kafka.sh is holding $LOCK_FILE"
}

cmd_fetch() {
  if [[ "$KAFKA_LIBS" != "$DEFAULT_LIBS" ]]; then
    [[ -d "$KAFKA_LIBS" ]] || die "KAFKA_LIBS=$KAFKA_LIBS does not exist"
    return 0
  fi
  local want
  want="$(sha256sum "$KAFKA_DIR/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$STAMP_FILE" && "$(cat "$STAMP_FILE")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (run infra/up.sh or apt-get install -y maven)"
  log "fetching Kafka jars from Maven Central into $DEFAULT_LIBS ..."
  local tmp="$KAFKA_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "mvn dependency:copy-dependencies failed"
  fi
  rm -f "$tmp.log"
  rm -rf "$DEFAULT_LIBS"
  mv "$tmp" "$DEFAULT_LIBS"
  echo "$want" >"$STAMP_FILE"
  log "fetched $(find "$DEFAULT_LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$DEFAULT_LIBS" | cut -f1))"
}

write_config() {
  mkdir -p "$KAFKA_DATA_DIR" "$LOG_DIRS"
  cat >"$CONF_FILE.tmp" <<EOF
# Generated by infra/kafka/kafka.sh on every start -- edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$LOG_DIRS

# single node: every replication factor is 1
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# dev/test friendly
group.initial.rebalance.delay.ms=0
# After a kill -9 the new incarnation is rejected (DUPLICATE_BROKER_REGISTRATION) until the old
# broker session expires: 9 s by default, 3 s here.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=3000
auto.create.topics.enable=false
num.recovery.threads.per.data.dir=1
log.retention.hours=168
EOF
  mv -f "$CONF_FILE.tmp" "$CONF_FILE"
}

format_storage() {
  [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
  # Kafka cluster ids are 16 random bytes, base64url without padding (what `random-uuid` prints).
  local cluster_id
  cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  log "formatting $LOG_DIRS (cluster id $cluster_id, standalone KRaft controller)"
  tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF_FILE" >/dev/null
}

launch() {
  local heap
  read -r -a heap <<<"$KAFKA_HEAP"
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  rm -f "$PID_FILE"
  # setsid: own session, survives the calling shell/terminal. The inner bash writes its own
  # pid and execs java, so the pid file holds the JVM's pid. fd 9 (our flock) is not inherited.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$PID_FILE" \
    java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties" "-Dkafka.logs.dir=$RUN_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$CONF_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  local i
  for i in $(seq 1 50); do
    [[ -s "$PID_FILE" ]] && return 0
    sleep 0.1
  done
  die "broker did not start (no pid file); see $LOG_FILE"
}

# Waits until the broker answers a metadata request; prints the topic list.
# $1: pid of our broker (optional): fail fast if it dies, and don't spend CPU on probe JVMs
# (2 cores...) before the broker has logged that it is up.
wait_ready() {
  local pid="${1:-}" deadline=$((SECONDS + KAFKA_START_TIMEOUT)) out
  local host="${KAFKA_BOOTSTRAP%:*}" port="${KAFKA_BOOTSTRAP##*:}"
  if [[ -n "$pid" && -f "$LOG_FILE" ]]; then
    until grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null || ((SECONDS >= deadline)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
  fi
  while ((SECONDS < deadline)); do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      echo "kafka: ERROR: broker exited during startup; last log lines ($LOG_FILE):" >&2
      tail -n 40 "$LOG_FILE" >&2 || true
      exit 1
    fi
    if timeout 2 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null && out="$(list_topics)"; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep 0.5
  done
  echo "kafka: ERROR: $KAFKA_BOOTSTRAP not answering after ${KAFKA_START_TIMEOUT}s" >&2
  if [[ -n "$pid" && -f "$LOG_FILE" ]]; then
    echo "--- last log lines ($LOG_FILE):" >&2
    tail -n 40 "$LOG_FILE" >&2
  fi
  exit 1
}

# Creates the topics missing from $1 (newline-separated list of existing topics), in parallel.
ensure_topics() {
  local existing="$1" name parts cfg c failed=0 i
  local -a args pids=() names=()
  while read -r name parts cfg; do
    grep -qxF -- "$name" <<<"$existing" && continue
    args=(--create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1)
    if [[ -n "$cfg" ]]; then
      for c in ${cfg//,/ }; do args+=(--config "$c"); done
    fi
    topics_cmd "${args[@]}" >/dev/null &
    pids+=($!)
    names+=("$name")
  done < <(topic_specs)
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { echo "kafka: ERROR: could not create topic ${names[$i]}" >&2; failed=1; }
  done
  ((failed == 0)) || exit 1
  if ((${#names[@]} > 0)); then
    log "created ${#names[@]} topic(s): ${names[*]}"
  fi
}

# One line per topic with partition count and configs; warns about partition-count drift.
print_topics() {
  local desc
  desc="$(topics_cmd --describe --exclude-internal)"
  awk -F'\t' '/PartitionCount:/ {
      name=$1; sub(/^Topic: /, "", name)
      parts=""; cfg=""
      for (i = 2; i <= NF; i++) {
        if ($i ~ /^PartitionCount: /) { parts=$i; sub(/^PartitionCount: /, "", parts) }
        if ($i ~ /^Configs: /) { cfg=$i; sub(/^Configs: ?/, "", cfg) }
      }
      printf "  %-36s partitions=%-3s %s\n", name, parts, cfg
    }' <<<"$desc" | sort
  local name parts actual
  while read -r name parts _; do
    actual="$(awk -F'\t' -v t="Topic: $name" '$1 == t && /PartitionCount:/ { sub(/^PartitionCount: /, "", $3); print $3 }' <<<"$desc")"
    if [[ "$actual" != "$parts" ]]; then
      echo "kafka: WARNING: topic $name has ${actual:-no} partitions, expected $parts" >&2
    fi
  done < <(topic_specs)
}

cmd_start() {
  need_java
  take_lock
  local pid existing
  if pid="$(running_pid)"; then
    existing="$(wait_ready "$pid")"
    make_tools_cds
    ensure_topics "$existing"
    log "already running (pid $pid) on $KAFKA_BOOTSTRAP"
    return 0
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port $p is already in use by another process (not our broker): $(ss -ltnpH "sport = :$p" 2>/dev/null | head -1)"
    fi
  done
  cmd_fetch
  write_config
  format_storage
  local t0=$SECONDS
  launch
  pid="$(cat "$PID_FILE")"
  existing="$(wait_ready "$pid")"
  make_tools_cds
  ensure_topics "$existing"
  log "started (pid $pid) on $KAFKA_BOOTSTRAP in $((SECONDS - t0))s; data $KAFKA_DATA_DIR, log $LOG_FILE"
}

cmd_stop() {
  take_lock
  local pid i
  if ! pid="$(running_pid)"; then
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < KAFKA_STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean exit after ${KAFKA_STOP_TIMEOUT}s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    return 3
  fi
  if port_open "$KAFKA_PORT" && list_topics >/dev/null; then
    log "running (pid $pid) on $KAFKA_BOOTSTRAP"
    return 0
  fi
  log "process $pid is alive but $KAFKA_BOOTSTRAP is not answering (see $LOG_FILE)"
  return 1
}

cmd_topics() {
  need_java
  cmd_fetch
  local existing
  existing="$(wait_ready "")"
  make_tools_cds
  ensure_topics "$existing"
  print_topics
}

cmd_reset() {
  cmd_stop
  [[ -n "$KAFKA_DATA_DIR" && "$KAFKA_DATA_DIR" != "/" ]] || die "refusing to delete KAFKA_DATA_DIR=$KAFKA_DATA_DIR"
  rm -rf "$KAFKA_DATA_DIR"
  log "deleted $KAFKA_DATA_DIR"
}

case "${1:-}" in
  fetch) need_java; cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  topics) cmd_topics ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 fetch|start|stop|status|topics|reset" >&2
    exit 2
    ;;
esac
