#!/usr/bin/env bash
# Writes infra/.env, the passwords compose.yaml needs (it refuses to start without them), once:
# random, mode 600, never committed (.gitignore). Run it again and it keeps what is there, adding
# only what is missing. Set one yourself by writing it into infra/.env before the first start.
#   ./infra/compose-secrets.sh            then: docker compose -f infra/compose.yaml up --build
set -euo pipefail

file="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.env"
names=(
  MYSQL_ROOT_PASSWORD ORDER_DB_PASSWORD PRODUCT_DB_PASSWORD PAYMENT_DB_PASSWORD
  ADMIN_PASSWORD
  KAFKA_ADMIN_PASSWORD KAFKA_ORDER_SERVICE_PASSWORD KAFKA_PRODUCT_SERVICE_PASSWORD KAFKA_PAYMENT_SERVICE_PASSWORD KAFKA_KAFKA_UI_PASSWORD
  KAFKA_UI_PASSWORD GRAFANA_ADMIN_PASSWORD HAPROXY_STATS_PASSWORD
)
random() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

(umask 077 && touch "$file")
chmod 600 "$file"
added=()
for name in "${names[@]}"; do
  grep -q "^$name=" "$file" && continue
  printf '%s=%s\n' "$name" "$(random)" >>"$file"
  added+=("$name")
done
if ((${#added[@]} == 0)); then
  echo "compose-secrets: $file has every password already"
else
  echo "compose-secrets: wrote ${added[*]} to $file (mode 600; keep it secret, never commit it)"
fi
echo "compose-secrets: operators sign in with ADMIN_PASSWORD; Kafka UI, Grafana and HAProxy stats with the user admin and their own password from that file"
