#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft: broker + controller in one JVM), no Docker.
#
#   kafka.sh fetch    download the Kafka jars from Maven Central into infra/kafka/libs (once)
#   kafka.sh start    fetch, format storage (first time only), start the broker, create topics
#   kafka.sh stop     SIGTERM, wait up to KAFKA_STOP_TIMEOUT s, then SIGKILL
#   kafka.sh status   exit 0 if running and answering, 1 if alive but not answering, 3 if not running
#   kafka.sh topics   create missing topics (idempotent) and print them with partition counts
#   kafka.sh reset    stop and delete the data directory
#   kafka.sh migrate  a broker formatted before authentication (plaintext): add the SCRAM users to
#                     its metadata, restart it with SASL and ACLs (topics and offsets kept)
#   kafka.sh run      foreground (a container's entry point): write the config, format, exec java
#   kafka.sh acls     create the ACLs (idempotent) and print them
#
# Security: clients authenticate with SASL/SCRAM-SHA-512 (the controller listener with SASL/PLAIN)
#        and the StandardAuthorizer allows each service only its own topics (the ACLS table below).
#        Principals: admin (super user: the broker itself, scripts, tests), order-service,
#        product-service, payment-service, kafka-ui (read-only). Their passwords come from
#        KAFKA_<NAME>_PASSWORD (e.g. KAFKA_ORDER_SERVICE_PASSWORD; compose), else from
#        KAFKA_CREDENTIALS_DIR (default $KAFKA_DATA_DIR/credentials/<name>.env: generated once with
#        the broker's storage, mode 600, never committed), which build-and-run.sh and the tests give
#        the services (KAFKA_SASL_MECHANISM/USERNAME/PASSWORD). A broker still running from before
#        authentication is used as it is (plaintext, with a warning) until `kafka.sh migrate`.
#
# Files: data in .data/kafka (KAFKA_DATA_DIR), log in .run/kafka.log, pid in .run/kafka.pid.
#        A second broker next to the first (e.g. the chaos tests' own) needs its own ports, data
#        dir and files: KAFKA_PID_FILE, KAFKA_LOG_FILE, KAFKA_LOCK_FILE override the three above.
# Env:   KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DATA_DIR,
#        KAFKA_HEAP ("-Xmx512m -Xms512m"), KAFKA_START_TIMEOUT (60), KAFKA_STOP_TIMEOUT (20),
#        KAFKA_NETWORK_THREADS (2), KAFKA_IO_THREADS (2), KAFKA_BACKGROUND_THREADS (4).
#        For `topics` against some other broker (the compose init container does this):
#        KAFKA_BOOTSTRAP (host:port) and KAFKA_LIBS (a Kafka libs/ directory, e.g. /opt/kafka/libs).
#        KAFKA_LISTEN_HOST (127.0.0.1), KAFKA_ADVERTISED_HOST (= listen host): where it listens and
#        what it tells clients (compose: 0.0.0.0 and kafka). KAFKA_ACLS=skip: no ACLs at start
#        (an environment whose harness grants its own, e.g. the chaos tests).
#        KAFKA_PROXIED_PORT and KAFKA_PROXIED_ADVERTISED (host:port): a second client listener
#        (PROXIED, the same SASL/SCRAM and ACLs) bound on that port and advertised as that address,
#        so that clients bootstrapped through a proxy there keep going through it (the chaos tests
#        cut one service off the broker that way). Unset: no such listener.
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

# ACLs: who may do what (shared/src/contracts/topic-access.ts is the same table for prefixed test
# topics; tests/security/kafka-acls.unit.test.ts keeps the two equal). Only a service may speak for
# itself: it writes the topics it owns and the dead-letter twins of those it consumes, and reads
# only what it consumes. A group grant covers every group whose name starts with it.
#   principal  operations(,)  resource  names...   (resource: topic, group (prefixed) or cluster)
ACLS=(
  "order-service    Write     topic  product-reservation-request payment-request product-reservation-response.dlq payment-response.dlq product-catalog.dlq"
  "order-service    Read      topic  product-reservation-response payment-response product-catalog product-reservation-request.dlq product-reservation-response.dlq payment-request.dlq payment-response.dlq product-catalog.dlq"
  "product-service  Write     topic  product-reservation-response product-catalog product-reservation-request.dlq"
  "product-service  Read      topic  product-reservation-request"
  "payment-service  Write     topic  payment-response payment-request.dlq"
  "payment-service  Read      topic  payment-request"
  "order-service    Read      group  order-service"
  "product-service  Read      group  product-service"
  "payment-service  Read      group  payment-service"
  "order-service    Describe  topic  *"
  "product-service  Describe  topic  *"
  "payment-service  Describe  topic  *"
  "kafka-ui         Read,Describe,DescribeConfigs  topic  *"
  "kafka-ui         Describe  group  *"
  "kafka-ui         Describe,DescribeConfigs  cluster  kafka-cluster"
)
PRINCIPALS=(admin order-service product-service payment-service kafka-ui)
# ---------------------------------------------------------------------------

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$KAFKA_DIR/../.." && pwd)"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/.data/kafka}"
KAFKA_HEAP="${KAFKA_HEAP:--Xmx512m -Xms512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-60}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
KAFKA_LISTEN_HOST="${KAFKA_LISTEN_HOST:-127.0.0.1}"
KAFKA_ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-$KAFKA_LISTEN_HOST}"
KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-127.0.0.1:$KAFKA_PORT}"
KAFKA_CREDENTIALS_DIR="${KAFKA_CREDENTIALS_DIR:-$KAFKA_DATA_DIR/credentials}"
DEFAULT_LIBS="$KAFKA_DIR/libs"
KAFKA_LIBS="${KAFKA_LIBS:-$DEFAULT_LIBS}"

RUN_DIR="$ROOT/.run"
LOG_FILE="${KAFKA_LOG_FILE:-$RUN_DIR/kafka.log}"
PID_FILE="${KAFKA_PID_FILE:-$RUN_DIR/kafka.pid}"
LOCK_FILE="${KAFKA_LOCK_FILE:-$RUN_DIR/kafka.lock}"
CONF_FILE="$KAFKA_DATA_DIR/server.properties"
LOG_DIRS="$KAFKA_DATA_DIR/kraft-logs"
STAMP_FILE="$DEFAULT_LIBS/.complete"
# Written once the storage holds the SCRAM users (formatted with them, or migrated); its absence
# next to an existing meta.properties means a broker formatted before authentication.
SASL_MARKER="$KAFKA_DATA_DIR/.sasl-scram"
ACLS_MARKER="$KAFKA_DATA_DIR/.acls"

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
# Checked here, not where the listener list is built: that runs in a command substitution, whose exit stops nothing.
if [[ -n "${KAFKA_PROXIED_PORT:-}" && -z "${KAFKA_PROXIED_ADVERTISED:-}" ]]; then
  die "KAFKA_PROXIED_PORT needs KAFKA_PROXIED_ADVERTISED (host:port)"
fi

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java not found (Kafka 4.x needs Java 17+; run infra/up.sh or apt-get install -y openjdk-17-jre-headless)"
}

tool() { java "${TOOL_JAVA_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"; }
topics_cmd() { tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config <(admin_props) "$@"; }

# --- credentials ------------------------------------------------------------------------------
declare -A PASSWORDS=()

# KAFKA_ORDER_SERVICE_PASSWORD for order-service, KAFKA_ADMIN_PASSWORD for admin, ...
password_var() { local name="${1^^}"; echo "KAFKA_${name//-/_}_PASSWORD"; }

# The password of principal $1: from its environment variable, else from its credentials file,
# which is written (random, mode 600) the first time. The file is what the services and tests read.
password_of() {
  local name="$1" var file password
  var="$(password_var "$name")"
  if [[ -n "${!var:-}" ]]; then echo "${!var}"; return; fi
  file="$KAFKA_CREDENTIALS_DIR/$name.env"
  if [[ ! -s "$file" ]]; then
    mkdir -p "$(dirname "$KAFKA_CREDENTIALS_DIR")"
    (umask 077 && mkdir -p "$KAFKA_CREDENTIALS_DIR")
    password="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)"
    (umask 077 && printf '%s\n' "# Kafka credentials of $name for the local brokers, generated once by infra/kafka/kafka.sh." \
      "# Secret: .data/ is never committed. The services read these three variables (README, Security)." \
      "KAFKA_SASL_MECHANISM=scram-sha-512" "KAFKA_SASL_USERNAME=$name" "KAFKA_SASL_PASSWORD=$password" >"$file.tmp.$$")
    # Two brokers starting at once (the chaos tests' and the project's): the first file wins.
    mv -n "$file.tmp.$$" "$file" 2>/dev/null || true
    rm -f "$file.tmp.$$"
  fi
  password="$(sed -n 's/^KAFKA_SASL_PASSWORD=//p' "$file")"
  [[ -n "$password" ]] || die "no KAFKA_SASL_PASSWORD in $file"
  echo "$password"
}

load_passwords() {
  local name
  for name in "${PRINCIPALS[@]}"; do
    [[ -n "${PASSWORDS[$name]:-}" ]] || PASSWORDS[$name]="$(password_of "$name")"
  done
}

jaas() { # module user password [extra]
  printf '%s required username="%s" password="%s"%s;' "$1" "$2" "$3" "${4:-}"
}

# Client settings of the admin principal for the tools (none while migrating a plaintext broker).
admin_props() {
  [[ -n "${PLAINTEXT_CLIENT:-}" ]] && return 0
  load_passwords
  printf '%s\n' security.protocol=SASL_PLAINTEXT sasl.mechanism=SCRAM-SHA-512 \
    "sasl.jaas.config=$(jaas org.apache.kafka.common.security.scram.ScramLoginModule admin "${PASSWORDS[admin]}")"
}

# A broker formatted before authentication: storage there, but not the marker of its SCRAM users.
formatted_without_scram() { [[ -f "$LOG_DIRS/meta.properties" && ! -f "$SASL_MARKER" ]]; }

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
  admin_props
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

# The listeners: SASL/SCRAM-SHA-512 for clients and between brokers, SASL/PLAIN (the admin, from
# this file) for the controller, whose own connections must authenticate before it has read the
# SCRAM users from its log; ACLs by the StandardAuthorizer, nothing allowed without one.
# $1 = plaintext: the old unauthenticated layout, only to add the SCRAM users to a broker formatted
# before authentication (migrate_storage).
listener_config() {
  local host="$KAFKA_LISTEN_HOST" advertised="$KAFKA_ADVERTISED_HOST"
  if [[ "${1:-}" == plaintext ]]; then
    cat <<EOF
listeners=PLAINTEXT://$host:$KAFKA_PORT,CONTROLLER://$host:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$advertised:$KAFKA_PORT,CONTROLLER://$advertised:$KAFKA_CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
EOF
    return
  fi
  load_passwords
  local admin="${PASSWORDS[admin]}" proxied="" proxied_advertised="" proxied_map=""
  if [[ -n "${KAFKA_PROXIED_PORT:-}" ]]; then
    [[ -n "${KAFKA_PROXIED_ADVERTISED:-}" ]] || die "KAFKA_PROXIED_PORT needs KAFKA_PROXIED_ADVERTISED (host:port)"
    proxied=",PROXIED://$host:$KAFKA_PROXIED_PORT"
    proxied_advertised=",PROXIED://$KAFKA_PROXIED_ADVERTISED"
    proxied_map=",PROXIED:SASL_PLAINTEXT"
  fi
  cat <<EOF
listeners=SASL_PLAINTEXT://$host:$KAFKA_PORT,CONTROLLER://$host:$KAFKA_CONTROLLER_PORT$proxied
advertised.listeners=SASL_PLAINTEXT://$advertised:$KAFKA_PORT,CONTROLLER://$advertised:$KAFKA_CONTROLLER_PORT$proxied_advertised
inter.broker.listener.name=SASL_PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT$proxied_map
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$(jaas org.apache.kafka.common.security.scram.ScramLoginModule admin "$admin")
EOF
  if [[ -n "$proxied" ]]; then
    cat <<EOF
listener.name.proxied.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.proxied.scram-sha-512.sasl.jaas.config=$(jaas org.apache.kafka.common.security.scram.ScramLoginModule admin "$admin")
EOF
  fi
  cat <<EOF
listener.name.controller.plain.sasl.jaas.config=$(jaas org.apache.kafka.common.security.plain.PlainLoginModule admin "$admin" " user_admin=\"$admin\"")
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
EOF
}

write_config() {
  mkdir -p "$KAFKA_DATA_DIR" "$LOG_DIRS"
  # umask: the file holds the admin password.
  (umask 077 && cat >"$CONF_FILE.tmp" <<EOF
# Generated by infra/kafka/kafka.sh on every start -- edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_ADVERTISED_HOST:$KAFKA_CONTROLLER_PORT
$(listener_config "${1:-}")
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

# threads for a small machine: the defaults (3 network, 8 request handler, 10 background threads)
# are sized for a dedicated server; here each idle thread is a wake-up the services' cores pay for
num.network.threads=${KAFKA_NETWORK_THREADS:-2}
num.io.threads=${KAFKA_IO_THREADS:-2}
background.threads=${KAFKA_BACKGROUND_THREADS:-4}
EOF
  )
  mv -f "$CONF_FILE.tmp" "$CONF_FILE"
}

format_storage() {
  [[ -f "$LOG_DIRS/meta.properties" ]] && return 0
  # Kafka cluster ids are 16 random bytes, base64url without padding (what `random-uuid` prints).
  local cluster_id
  # One that starts with "-" would read as an option to the storage tool (1 in 64): draw again.
  cluster_id="-"
  while [[ $cluster_id == -* ]]; do cluster_id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"; done
  log "formatting $LOG_DIRS (cluster id $cluster_id, standalone KRaft controller, SCRAM users ${PRINCIPALS[*]})"
  load_passwords
  local -a scram=()
  local name
  for name in "${PRINCIPALS[@]}"; do scram+=(--add-scram "SCRAM-SHA-512=[name=$name,password=${PASSWORDS[$name]}]"); done
  tool kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$CONF_FILE" "${scram[@]}" >/dev/null
  touch "$SASL_MARKER"
}

# A broker formatted before authentication keeps its topics and offsets: started once more the old
# way (plaintext, no authorizer), it gets the SCRAM users through the admin API and stops; the next
# launch is authenticated.
migrate_storage() {
  log "$KAFKA_DATA_DIR was formatted before authentication: adding the SCRAM users (topics and offsets are kept) ..."
  load_passwords
  write_config plaintext
  launch
  local pid name
  pid="$(cat "$PID_FILE")"
  PLAINTEXT_CLIENT=1 wait_ready "$pid" >/dev/null
  for name in "${PRINCIPALS[@]}"; do
    PLAINTEXT_CLIENT=1 tool org.apache.kafka.tools.ConfigCommand --bootstrap-server "$KAFKA_BOOTSTRAP" \
      --command-config <(PLAINTEXT_CLIENT=1 probe_props) --alter --entity-type users --entity-name "$name" \
      --add-config "SCRAM-SHA-512=[password=${PASSWORDS[$name]}]" >/dev/null || die "could not add the SCRAM user $name"
  done
  stop_pid "$pid"
  touch "$SASL_MARKER"
  rm -f "$ACLS_MARKER"
  log "migrated: SCRAM users ${PRINCIPALS[*]} added"
}

# Creates the ACLs of the table above (idempotent; three tool JVMs at a time). $1 = once: skip when
# this data directory already has exactly these (a marker file), as at every start.
ensure_acls() {
  [[ "${KAFKA_ACLS:-}" == skip ]] && return 0
  local want
  want="$(printf '%s\n' "${ACLS[@]}" | sha256sum | cut -d' ' -f1)"
  if [[ "${1:-}" == once && -f "$ACLS_MARKER" && "$(cat "$ACLS_MARKER" 2>/dev/null)" == "$want" ]]; then return 0; fi
  local spec failed=0 i
  local -a parts args pids=()
  for spec in "${ACLS[@]}"; do
    read -r -a parts <<<"$spec"
    args=(--add --allow-principal "User:${parts[0]}")
    for i in ${parts[1]//,/ }; do args+=(--operation "$i"); done
    case "${parts[2]}" in
      topic) for i in "${parts[@]:3}"; do args+=(--topic "$i"); done ;;
      group)
        for i in "${parts[@]:3}"; do args+=(--group "$i"); done
        [[ "${parts[3]}" == "*" ]] || args+=(--resource-pattern-type prefixed)
        ;;
      cluster) args+=(--cluster) ;;
      *) die "unknown ACL resource ${parts[2]}" ;;
    esac
    tool org.apache.kafka.tools.AclCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config <(admin_props) "${args[@]}" >/dev/null &
    pids+=($!)
    if ((${#pids[@]} >= 3)); then
      wait "${pids[0]}" || failed=1
      pids=("${pids[@]:1}")
    fi
  done
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
  ((failed == 0)) || die "could not create the ACLs"
  [[ "${1:-}" == once ]] && echo "$want" >"$ACLS_MARKER"
  log "ACLs in place for ${PRINCIPALS[*]:1}"
}

launch() {
  local heap
  read -r -a heap <<<"$KAFKA_HEAP"
  [[ -f "$LOG_FILE" ]] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  rm -f "$PID_FILE"
  # setsid: own session, survives the calling shell/terminal. The inner bash writes its own
  # pid and execs java, so the pid file holds the JVM's pid. fd 9 (our flock) and a caller's
  # fds 3–8 (e.g. `flock file cmd` holds fd 3) are not inherited: a broker must not hold a caller's lock.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$0"; exec nohup "$@"' "$PID_FILE" \
    java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties" "-Dkafka.logs.dir=$RUN_DIR" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$CONF_FILE" \
    </dev/null >>"$LOG_FILE" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
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
    if formatted_without_scram; then
      # Keeps working as it is: its clients have no credentials yet (none were generated for it).
      echo "kafka: WARNING: the broker running on $KAFKA_BOOTSTRAP (pid $pid) is from before Kafka authentication: anyone who reaches it may write any topic. Stop what uses it (./scripts/stop.sh), then run: bash infra/kafka/kafka.sh migrate  (keeps topics and offsets; restarts it with SASL/SCRAM and ACLs)" >&2
      export PLAINTEXT_CLIENT=1
      existing="$(wait_ready "$pid")"
      ensure_topics "$existing"
      log "already running (pid $pid) on $KAFKA_BOOTSTRAP, plaintext"
      return 0
    fi
    load_passwords
    existing="$(wait_ready "$pid")"
    make_tools_cds
    ensure_topics "$existing"
    ensure_acls once
    log "already running (pid $pid) on $KAFKA_BOOTSTRAP"
    return 0
  fi
  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" ${KAFKA_PROXIED_PORT:+"$KAFKA_PROXIED_PORT"}; do
    if port_open "$p"; then
      die "port $p is already in use by another process (not our broker): $(ss -ltnpH "sport = :$p" 2>/dev/null | head -1)"
    fi
  done
  cmd_fetch
  load_passwords
  local t0=$SECONDS
  if formatted_without_scram; then migrate_storage; fi
  write_config
  format_storage
  launch
  pid="$(cat "$PID_FILE")"
  existing="$(wait_ready "$pid")"
  make_tools_cds
  ensure_topics "$existing"
  ensure_acls once
  log "started (pid $pid) on $KAFKA_BOOTSTRAP in $((SECONDS - t0))s; data $KAFKA_DATA_DIR, log $LOG_FILE, credentials $KAFKA_CREDENTIALS_DIR"
}

# SIGTERM, wait up to KAFKA_STOP_TIMEOUT s, then SIGKILL.
stop_pid() {
  local pid="$1" i
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
}

cmd_stop() {
  take_lock
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    return 0
  fi
  stop_pid "$pid"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    return 3
  fi
  # A broker from before authentication answers plaintext only.
  formatted_without_scram && export PLAINTEXT_CLIENT=1
  if port_open "$KAFKA_PORT" && list_topics >/dev/null; then
    log "running (pid $pid) on $KAFKA_BOOTSTRAP${PLAINTEXT_CLIENT:+ (plaintext: formatted before authentication, see kafka.sh migrate)}"
    return 0
  fi
  log "process $pid is alive but $KAFKA_BOOTSTRAP is not answering (see $LOG_FILE)"
  return 1
}

cmd_topics() {
  need_java
  cmd_fetch
  load_passwords
  local existing
  existing="$(wait_ready "")"
  make_tools_cds
  ensure_topics "$existing"
  ensure_acls
  print_topics
}

cmd_acls() {
  need_java
  cmd_fetch
  load_passwords
  wait_ready "" >/dev/null
  ensure_acls
  tool org.apache.kafka.tools.AclCommand --bootstrap-server "$KAFKA_BOOTSTRAP" --command-config <(admin_props) --list
}

cmd_migrate() {
  if ! formatted_without_scram; then
    log "nothing to migrate: $KAFKA_DATA_DIR is $([[ -f "$LOG_DIRS/meta.properties" ]] && echo "formatted with the SCRAM users" || echo "not formatted yet")"
    return 0
  fi
  cmd_stop
  cmd_start
}

# Foreground, for a container: the same configuration and formatting as `start`, then the broker
# replaces this shell (signals reach it directly). Topics and ACLs: `kafka.sh topics` from outside.
cmd_run() {
  need_java
  [[ -d "$KAFKA_LIBS" ]] || die "KAFKA_LIBS=$KAFKA_LIBS does not exist"
  load_passwords
  formatted_without_scram && die "$KAFKA_DATA_DIR was formatted before authentication; start it once with kafka.sh start (migrates) or delete it"
  write_config
  format_storage
  local heap
  read -r -a heap <<<"$KAFKA_HEAP"
  exec java "${heap[@]}" -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$KAFKA_DIR/log4j2.properties" "-Dkafka.logs.dir=${KAFKA_LOGS_DIR:-$KAFKA_DATA_DIR}" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$CONF_FILE"
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
  acls) cmd_acls ;;
  migrate) cmd_migrate ;;
  run) cmd_run ;;
  reset) cmd_reset ;;
  *)
    echo "usage: $0 fetch|start|stop|status|topics|acls|migrate|run|reset" >&2
    exit 2
    ;;
esac
