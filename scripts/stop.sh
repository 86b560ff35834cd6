#!/usr/bin/env bash
# Stops services started with --detach (every replica) and their HAProxy, then the project's Kafka broker.
#   ./scripts/stop.sh               as above
#   ./scripts/stop.sh --keep-kafka  leave the broker running (other work on this machine uses it)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
keep_kafka=""
for arg in "$@"; do
  case "$arg" in
    --keep-kafka) keep_kafka=1 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
for file in .run/*-service.pid .run/*-service-[0-9]*.pid .run/haproxy.pid; do
  [[ -f "$file" ]] || continue
  pid=$(cat "$file")
  kill -TERM "$pid" 2>/dev/null && echo "stopping $(basename "$file" .pid) ($pid)"
  rm -f "$file"
done
sleep 1
[[ -n "$keep_kafka" ]] || bash infra/kafka/kafka.sh stop
