#!/usr/bin/env bash
# On a fresh machine: installs everything (npm packages, Node 24, Kafka jars), starts MariaDB,
# Redis and Kafka, starts the three services (each migrates and seeds its own database on start),
# prints their URLs and stops everything it started on Ctrl-C. Safe to run again.
#   ./scripts/build-and-run.sh               run in the foreground until Ctrl-C
#   ./scripts/build-and-run.sh --detach      start and return (stop with ./scripts/stop.sh)
set -euo pipefail
. "$(dirname "$0")/lib/bootstrap.sh"

detach=""
for arg in "$@"; do
  case "$arg" in
    --detach) detach=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

started=$SECONDS
kafka_was_running=""
bash infra/kafka/kafka.sh status >/dev/null 2>&1 && kafka_was_running=1
bash infra/up.sh

mkdir -p .run
declare -A ports=([order-service]=$ORDER_PORT [product-service]=$PRODUCT_PORT [payment-service]=$PAYMENT_PORT)
pids=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping services ..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -z "$kafka_was_running" ]] && bash infra/kafka/kafka.sh stop
  echo "stopped."
}

for service in product-service payment-service order-service; do
  port=${ports[$service]}
  if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
    echo "$service: already running on $port"
    continue
  fi
  PORT=$port nohup node "$service/src/main.ts" >".run/$service.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  echo "$pid" >".run/$service.pid"
done
[[ -z "$detach" ]] && trap stop_all INT TERM EXIT

for service in product-service payment-service order-service; do
  port=${ports[$service]}
  deadline=$((SECONDS + 60))
  until curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then echo "$service did not become healthy; log:"; tail -30 ".run/$service.log"; exit 1; fi
    sleep 0.3
  done
done

cat <<INFO

Commerce platform is up ($((SECONDS - started)) s):
  order service    http://127.0.0.1:$ORDER_PORT/swagger-ui.html
  product service  http://127.0.0.1:$PRODUCT_PORT/swagger-ui.html
  payment service  http://127.0.0.1:$PAYMENT_PORT/swagger-ui.html
  health           /health   metrics  /metrics
  logs             .run/<service>.log
INFO

if [[ -n "$detach" ]]; then
  echo "detached; stop with ./scripts/stop.sh"
  exit 0
fi
echo "Ctrl-C stops everything."
wait
