#!/usr/bin/env bash
# Stops the local Kafka broker. MariaDB and Redis are shared system services and stay up
# (stop them yourself if you really want to: mariadb-admin shutdown / redis-cli shutdown).
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$INFRA_DIR/kafka/kafka.sh" stop
echo "mariadb, redis: left running (shared system services)"
