#!/usr/bin/env bash
# Local infrastructure without Docker: MariaDB, Redis (shared system services) and a
# single-node Kafka (infra/kafka/kafka.sh). Installs missing packages with apt-get, starts what
# is not running, creates the databases. Idempotent; the second run takes about a second.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$INFRA_DIR/.." && pwd)"
# shellcheck source=/dev/null
. "$ROOT/scripts/infra-env.sh"

DATABASES=(order_db product_db payment_db)
REDIS_PORT="${REDIS_URL##*:}"
REDIS_PORT="${REDIS_PORT%%/*}"
RUN_DIR="$ROOT/.run"
WAIT_SECONDS=30

SUDO=""
if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi

die() { echo "up: ERROR: $*" >&2; exit 1; }

APT_UPDATED=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "cannot install $* (no apt-get); install it yourself"
  echo "up: installing $* ..."
  if [[ -z "$APT_UPDATED" ]]; then
    $SUDO apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() { # description, command...
  local what="$1" deadline=$((SECONDS + WAIT_SECONDS))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up within ${WAIT_SECONDS}s"
    sleep 0.3
  done
}

# --- Java + Maven (Kafka runs from jars fetched by Maven) -------------------------------------
ensure_java() {
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    apt_install default-jre-headless maven   # Java 17 or newer, whichever this Debian ships
  fi
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka 4.x needs Java 17+, found java $major ($(command -v java))"
  echo "java:    $major ($(command -v java)), $(mvn -v 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
}

# --- MariaDB ------------------------------------------------------------------------------------
sql_tcp() { # runs SQL as $DB_USER over TCP, like the services do
  MYSQL_PWD="$DB_PASSWORD" mariadb --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -N -B -e "$1"
}
# Server alive? (TCP ping fails with "Host '127.0.0.1' is not allowed" before the root@127.0.0.1
# account exists, e.g. fresh install + skip-name-resolve, so the local socket counts too.)
mariadb_ping() {
  mariadb-admin --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" --connect-timeout=2 ping ||
    $SUDO mariadb-admin --protocol=SOCKET --connect-timeout=2 ping
}

ensure_mariadb() {
  if [[ ! -x /usr/sbin/mariadbd ]] || ! command -v mariadb >/dev/null 2>&1; then
    apt_install mariadb-server mariadb-client
  fi
  if ! mariadb_ping >/dev/null 2>&1; then
    echo "up: starting MariaDB ..."
    $SUDO install -d -o mysql -g mysql -m 755 /run/mysqld
    if [[ ! -d /var/lib/mysql/mysql ]]; then
      $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    mkdir -p "$RUN_DIR"
    $SUDO start-stop-daemon --start --oknodo --background --output "$RUN_DIR/mariadb.log" \
      --exec /usr/sbin/mariadbd -- --user=mysql </dev/null
    wait_for "MariaDB on $DB_HOST:$DB_PORT" mariadb_ping
  fi
  if ! sql_tcp "SELECT 1" >/dev/null 2>&1; then
    # Debian's default root@localhost only accepts unix_socket auth; let root in over TCP with
    # the empty password too (dev machine only). Done over the socket as the OS root user.
    [[ "$DB_USER" == root && -z "$DB_PASSWORD" ]] || die "cannot log in to MariaDB as $DB_USER over TCP"
    echo "up: allowing MariaDB root login over TCP with an empty password"
    $SUDO mariadb --protocol=SOCKET -u root -e "
      ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      FLUSH PRIVILEGES;"
    sql_tcp "SELECT 1" >/dev/null || die "still cannot log in to MariaDB as root over TCP"
  fi
  local sql="" db
  for db in "${DATABASES[@]}"; do
    sql+="CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4;"
  done
  sql_tcp "$sql"
  configure_mariadb
  echo "mariadb: up on $DB_HOST:$DB_PORT ($(sql_tcp 'SELECT VERSION()')), databases: ${DATABASES[*]}"
}

# The server, set up for this workload, in a file of its own that survives a restart
# (infra/mariadb/commerce-platform.cnf), and the same values applied to the running server now
# (all three are dynamic in MariaDB 10.11). Durability is not traded: every commit is flushed.
configure_mariadb() {
  local source="$INFRA_DIR/mariadb/commerce-platform.cnf" target=/etc/mysql/conf.d/commerce-platform.cnf
  if [[ -d /etc/mysql ]] && ! cmp -s "$source" "$target" 2>/dev/null; then
    $SUDO install -d -m 755 /etc/mysql/conf.d
    $SUDO install -m 644 "$source" "$target"
    # Debian's my.cnf includes conf.d; a trimmed one may not.
    if [[ -f /etc/mysql/my.cnf ]] && ! grep -q '^!includedir /etc/mysql/conf.d' /etc/mysql/my.cnf; then
      echo '!includedir /etc/mysql/conf.d/' | $SUDO tee -a /etc/mysql/my.cnf >/dev/null
    fi
  fi
  sql_tcp "SET GLOBAL max_connections = GREATEST(@@max_connections, 600),
           GLOBAL innodb_buffer_pool_size = GREATEST(@@innodb_buffer_pool_size, 512 * 1024 * 1024),
           GLOBAL innodb_log_file_size = GREATEST(@@innodb_log_file_size, 512 * 1024 * 1024),
           GLOBAL thread_cache_size = GREATEST(@@thread_cache_size, 128),
           GLOBAL innodb_flush_log_at_trx_commit = 1" >/dev/null ||
    echo "up: could not apply the MariaDB settings to the running server (they apply at its next start)" >&2
}

# --- Redis --------------------------------------------------------------------------------------
redis_ping() { [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; }

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server
  fi
  if ! redis_ping; then
    echo "up: starting Redis ..."
    mkdir -p "$RUN_DIR"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      --logfile "$RUN_DIR/redis.log" </dev/null >/dev/null
    wait_for "Redis on 127.0.0.1:$REDIS_PORT" redis_ping
  fi
  echo "redis:   up on 127.0.0.1:$REDIS_PORT ($(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server | tr -d '\r' | awk -F: '/^redis_version:/ {print $2}'))"
}

ensure_java
ensure_mariadb
ensure_redis
KAFKA_PORT="${KAFKA_PORT:-${KAFKA_BROKERS##*:}}" bash "$INFRA_DIR/kafka/kafka.sh" start
