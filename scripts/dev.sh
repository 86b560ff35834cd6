#!/usr/bin/env bash
# npm run dev — the three services for development: started with `node --watch` (a saved source file
# restarts its service), logs as readable lines (LOG_FORMAT=pretty unless set), settings from .env
# when it exists (copy .env.example). Starts MariaDB, Redis and Kafka first like build-and-run.sh;
# Ctrl-C stops the services (the infrastructure keeps running: npm run infra:down).
set -euo pipefail
. "$(dirname "$0")/lib/bootstrap.sh"

bash infra/up.sh
export LOG_FORMAT="${LOG_FORMAT:-pretty}"
export AUTH_JWKS_URL="${AUTH_JWKS_URL:-http://127.0.0.1:$ORDER_PORT/.well-known/jwks.json}"
export PAYMENT_SERVICE_URL="${PAYMENT_SERVICE_URL:-http://127.0.0.1:$PAYMENT_PORT}"
export PRODUCT_SERVICE_URL="${PRODUCT_SERVICE_URL:-http://127.0.0.1:$PRODUCT_PORT}"
declare -A ports=([product-service]=$PRODUCT_PORT [payment-service]=$PAYMENT_PORT [order-service]=$ORDER_PORT)

for service in "${!ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/${ports[$service]}") 2>/dev/null; then
    echo "port ${ports[$service]} ($service) is taken: stop what runs there (./scripts/stop.sh for build-and-run's), or move the services with ORDER_PORT/PRODUCT_PORT/PAYMENT_PORT" >&2
    exit 1
  fi
done

pids=()
trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 0' INT TERM
for service in product-service payment-service order-service; do
  # its Kafka principal (KAFKA_SASL_*) as build-and-run.sh passes it, when infra/kafka/kafka.sh made one
  # (only files that exist: Node reports every --env-file-if-exists it does not find)
  credentials="${KAFKA_CREDENTIALS_DIR:-${KAFKA_DATA_DIR:-.data/kafka}/credentials}/$service.env"
  env_files=()
  for file in .env "$credentials"; do [[ -f "$file" ]] && env_files+=(--env-file="$file"); done
  db=()
  [[ -n "${DB_NAME_PREFIX:-}" ]] && db=(DB_NAME="${DB_NAME_PREFIX}${service%-service}_db")
  env PORT="${ports[$service]}" "${db[@]}" node --watch "${env_files[@]}" "$service/src/main.ts" &
  pids+=("$!")
done
echo "dev: order http://127.0.0.1:$ORDER_PORT  product http://127.0.0.1:$PRODUCT_PORT  payment http://127.0.0.1:$PAYMENT_PORT (Ctrl-C stops)"
wait
