#!/usr/bin/env bash
# On a fresh machine: installs everything (npm packages, Node 24, Kafka jars), starts MariaDB,
# Redis and Kafka, starts the three services (each migrates and seeds its own database on start),
# prints their URLs and stops everything it started on Ctrl-C. Safe to run again.
#   ./scripts/build-and-run.sh               run in the foreground until Ctrl-C
#   ./scripts/build-and-run.sh --detach      start and return (stop with ./scripts/stop.sh)
#   ./scripts/build-and-run.sh --replicas N  N processes per service (default 1) behind a local HAProxy
#   ./scripts/build-and-run.sh --haproxy     HAProxy in front even with one replica
# Replica i of a service listens on its port + 10·(i−1): order 8181, 8191, 8201…; product 8182,
# 8192…; payment 8183, 8193…. HAProxy (Debian package, installed if missing): order 8080, product
# 8090, payment 8100, stats http://127.0.0.1:9000/stats; config generated into .run/haproxy.cfg from
# infra/haproxy/haproxy.local.cfg.template. Environment: ORDER_PORT/PRODUCT_PORT/PAYMENT_PORT (first
# replica), LB_ORDER_PORT/LB_PRODUCT_PORT/LB_PAYMENT_PORT/LB_STATS_PORT, LB_BIND (127.0.0.1),
# DB_NAME_PREFIX (databases <prefix>order_db…), DB_POOL_MAX (24, or 24/N per replica), KAFKA_TOPIC_PREFIX, QUEUE_PREFIX.
set -euo pipefail
. "$(dirname "$0")/lib/bootstrap.sh"

detach=""
replicas=1
with_haproxy=""
while (($# > 0)); do
  case "$1" in
    --detach) detach=1 ;;
    --haproxy) with_haproxy=1 ;;
    --replicas) replicas="${2:-}"; shift ;;
    --replicas=*) replicas="${1#*=}" ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
if ! [[ "$replicas" =~ ^[1-9][0-9]?$ ]]; then echo "--replicas needs a number from 1 to 99, got '$replicas'" >&2; exit 2; fi
((replicas > 1)) && with_haproxy=1
# Replicas share the database server's connections (MariaDB allows 151 by default): unless told
# otherwise, N replicas together open at most what one process would (24 per service).
if ((replicas > 1)) && [[ -z "${DB_POOL_MAX:-}" ]]; then
  export DB_POOL_MAX=$((24 / replicas < 4 ? 4 : 24 / replicas))
fi
if ((replicas > 4)); then
  echo "note: topics have 4 partitions, so at most 4 replicas of a service consume from Kafka; the others serve HTTP only"
fi

: "${LB_ORDER_PORT:=8080}" "${LB_PRODUCT_PORT:=8090}" "${LB_PAYMENT_PORT:=8100}" "${LB_STATS_PORT:=9000}" "${LB_BIND:=127.0.0.1}"
REPLICA_PORT_STEP=10

started=$SECONDS
kafka_was_running=""
bash infra/kafka/kafka.sh status >/dev/null 2>&1 && kafka_was_running=1
bash infra/up.sh

mkdir -p .run
declare -A ports=([order-service]=$ORDER_PORT [product-service]=$PRODUCT_PORT [payment-service]=$PAYMENT_PORT)
services=(product-service payment-service order-service)
pids=()
declare -A started_pid=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping services ..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -z "$kafka_was_running" ]] && bash infra/kafka/kafka.sh stop
  echo "stopped."
}

replica_port() { echo $((${ports[$1]} + REPLICA_PORT_STEP * ($2 - 1))); }
# Replica 1 keeps the single-instance names (.run/order-service.pid/.log); others get a suffix.
instance_name() { if (($2 == 1)); then echo "$1"; else echo "$1-$2"; fi; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The replica an earlier run of this script started (--detach): its pid file names a live process of this service.
started_here() { # service name
  local pid
  pid=$(cat ".run/$2.pid" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$1/src/main.ts"
}

# What listens on a port, for the message (ss shows the program when it may).
listener_of() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed 's/users:((//' || true; }

start_replica() { # service replica
  local service=$1 replica=$2 port name
  port=$(replica_port "$service" "$replica")
  name=$(instance_name "$service" "$replica")
  if port_taken "$port"; then
    if started_here "$service" "$name" && curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      echo "$name: already running on $port (started by an earlier run)"
      return
    fi
    local who
    who=$(listener_of "$port")
    echo "port $port ($name) is taken by a program this script did not start${who:+ ($who)}: stop it, or move the services with ORDER_PORT/PRODUCT_PORT/PAYMENT_PORT (./scripts/stop.sh stops what an earlier run started)" >&2
    exit 1
  fi
  local env_vars=(PORT="$port" INSTANCE_ID="$replica")
  # Product and payment verify tokens with the order service's keys; it asks payment about customers,
  # and its reconciler reads both.
  env_vars+=(AUTH_JWKS_URL="${AUTH_JWKS_URL:-http://127.0.0.1:$ORDER_PORT/.well-known/jwks.json}")
  env_vars+=(PAYMENT_SERVICE_URL="${PAYMENT_SERVICE_URL:-http://127.0.0.1:$PAYMENT_PORT}")
  env_vars+=(PRODUCT_SERVICE_URL="${PRODUCT_SERVICE_URL:-http://127.0.0.1:$PRODUCT_PORT}")
  [[ -n "${DB_NAME_PREFIX:-}" ]] && env_vars+=(DB_NAME="${DB_NAME_PREFIX}${service%-service}_db")
  # Its own Kafka principal (KAFKA_SASL_*), generated by infra/kafka/kafka.sh; the environment wins.
  local credentials="${KAFKA_CREDENTIALS_DIR:-${KAFKA_DATA_DIR:-.data/kafka}/credentials}/$service.env"
  # only when it exists: Node writes "not found. Continuing without it." for a missing --env-file-if-exists
  local env_file=()
  [[ -f "$credentials" ]] && env_file=(--env-file="$credentials")
  env "${env_vars[@]}" nohup node "${env_file[@]}" "$service/src/main.ts" >".run/$name.log" 2>&1 &
  pids+=("$!")
  started_pid[$name]=$!
  echo "$!" >".run/$name.pid"
}

wait_healthy() { # service replica
  local name port pid deadline=$((SECONDS + 60))
  name=$(instance_name "$1" "$2")
  port=$(replica_port "$1" "$2")
  pid=${started_pid[$name]:-}
  until curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    local exited=""
    [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null && exited=1
    if ((SECONDS > deadline)) || [[ -n "$exited" ]]; then
      echo "$name did not become healthy; log:"; tail -30 ".run/$name.log"; exit 1
    fi
    sleep 0.3
  done
}

# Replica 1 of each service first: it migrates its database (migrations are not safe to run from
# several processes at once) and seeds it; the other replicas start once it is healthy.
for service in "${services[@]}"; do start_replica "$service" 1; done
[[ -z "$detach" ]] && trap stop_all INT TERM EXIT
for service in "${services[@]}"; do wait_healthy "$service" 1; done
if ((replicas > 1)); then
  for ((replica = 2; replica <= replicas; replica++)); do
    for service in "${services[@]}"; do start_replica "$service" "$replica"; done
  done
  for ((replica = 2; replica <= replicas; replica++)); do
    for service in "${services[@]}"; do wait_healthy "$service" "$replica"; done
  done
fi

ensure_haproxy() {
  HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
  [[ -x "$HAPROXY" ]] && return
  command -v apt-get >/dev/null 2>&1 || { echo "need haproxy (install it) for --replicas/--haproxy" >&2; exit 1; }
  echo "installing haproxy (Debian package) ..."
  local sudo=""; [[ "$(id -u)" != 0 ]] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
}

# Up when every backend has at least one replica passing its /health check.
haproxy_ready() {
  local csv
  csv=$(curl -fsS "http://127.0.0.1:$LB_STATS_PORT/stats;csv" 2>/dev/null) || return 1
  for backend in order product payment; do
    grep -q "^$backend,BACKEND,.*,UP," <<<"$csv" || return 1
  done
}

start_haproxy() {
  ensure_haproxy
  local order="" product="" payment="" replica
  for ((replica = 1; replica <= replicas; replica++)); do
    order+="127.0.0.1:$(replica_port order-service "$replica"),"
    product+="127.0.0.1:$(replica_port product-service "$replica"),"
    payment+="127.0.0.1:$(replica_port payment-service "$replica"),"
  done
  node scripts/lib/haproxy-config.ts --out .run/haproxy.cfg --bind "$LB_BIND" \
    --order "$order" --product "$product" --payment "$payment" --order-port "$LB_ORDER_PORT" \
    --product-port "$LB_PRODUCT_PORT" --payment-port "$LB_PAYMENT_PORT" --stats-port "$LB_STATS_PORT"
  "$HAPROXY" -c -q -f .run/haproxy.cfg
  # One HAProxy per checkout: the one an earlier run left behind makes way for the new layout.
  local old
  old=$(cat .run/haproxy.pid 2>/dev/null || true)
  if [[ "$old" =~ ^[0-9]+$ && -r "/proc/$old/cmdline" ]] && tr '\0' ' ' <"/proc/$old/cmdline" | grep -q "haproxy -f .run/haproxy.cfg"; then
    kill -TERM "$old" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
  local port
  for port in "$LB_ORDER_PORT" "$LB_PRODUCT_PORT" "$LB_PAYMENT_PORT" "$LB_STATS_PORT"; do
    if port_taken "$port"; then
      echo "port $port is taken by another program; choose others with LB_ORDER_PORT, LB_PRODUCT_PORT, LB_PAYMENT_PORT, LB_STATS_PORT" >&2
      exit 1
    fi
  done
  nohup "$HAPROXY" -f .run/haproxy.cfg -db >.run/haproxy.log 2>&1 &
  pids+=("$!")
  echo "$!" >.run/haproxy.pid
  local pid=$! deadline=$((SECONDS + 30))
  until haproxy_ready; do
    if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
      echo "haproxy did not see healthy replicas; log:"; tail -30 .run/haproxy.log; exit 1
    fi
    sleep 0.3
  done
}
[[ -n "$with_haproxy" ]] && start_haproxy

cat <<INFO

Commerce platform is up ($((SECONDS - started)) s):
  order service    http://127.0.0.1:$ORDER_PORT/swagger-ui.html
  product service  http://127.0.0.1:$PRODUCT_PORT/swagger-ui.html
  payment service  http://127.0.0.1:$PAYMENT_PORT/swagger-ui.html
  health           /health   metrics  /metrics
  logs             .run/<service>.log
INFO
if [[ "${AUTH_MODE:-on}" == off ]]; then
  echo "  auth             AUTH_MODE=off: the API is open (local experiments only)"
else
  cat <<INFO
  auth             every /api call needs a bearer token (README, Security); get one with
                     npm run -s token -- --admin            (ADMIN_PASSWORD, demo default admin-password)
                     npm run -s token -- --customer 3fa85f64-5717-4562-b3fc-2c963f66afa6   (DEMO_CUSTOMER_PASSWORD)
                   curl -H "Authorization: Bearer \$(npm run -s token -- --admin)" http://127.0.0.1:$PRODUCT_PORT/api/v1/products
                   saga pages http://127.0.0.1:$ORDER_PORT/sagas ask for the admin password
INFO
fi
if ((replicas > 1)); then
  for service in order-service product-service payment-service; do
    list=""
    for ((replica = 1; replica <= replicas; replica++)); do list+=" http://127.0.0.1:$(replica_port "$service" "$replica")"; done
    printf '  %-16s%s\n' "${service%-service} replicas" "$list"
  done
  echo "  replica logs     .run/<service>-<replica>.log (replica 1: .run/<service>.log)"
fi
if [[ -n "$with_haproxy" ]]; then
  cat <<INFO
  HAProxy          order http://127.0.0.1:$LB_ORDER_PORT   product http://127.0.0.1:$LB_PRODUCT_PORT   payment http://127.0.0.1:$LB_PAYMENT_PORT
  HAProxy stats    http://127.0.0.1:$LB_STATS_PORT/stats   (config .run/haproxy.cfg, log .run/haproxy.log)
  load test        npm run load -- --haproxy
INFO
fi

if [[ -n "$detach" ]]; then
  echo "detached; stop with ./scripts/stop.sh"
  exit 0
fi
echo "Ctrl-C stops everything."
wait
