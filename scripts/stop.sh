#!/usr/bin/env bash
# Stops services started with --detach, then the project's Kafka broker.
set -uo pipefail
cd "$(dirname "$0")/.."
for file in .run/*-service.pid; do
  [[ -f "$file" ]] || continue
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null && echo "stopping $(basename "$file" .pid) ($pid)"
  rm -f "$file"
done
sleep 1
bash infra/kafka/kafka.sh stop
