# shellcheck shell=bash
# Defaults for the local infrastructure, shared by every script (source it; values already set
# in the environment win):   . scripts/infra-env.sh
# infra/up.sh starts MariaDB, Redis and Kafka on exactly these addresses.

: "${DB_HOST:=127.0.0.1}"
: "${DB_PORT:=3306}"
: "${DB_USER:=root}"
: "${DB_PASSWORD:=}"
: "${KAFKA_BROKERS:=127.0.0.1:9092}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
: "${ORDER_PORT:=8181}"
: "${PRODUCT_PORT:=8182}"
: "${PAYMENT_PORT:=8183}"

export DB_HOST DB_PORT DB_USER DB_PASSWORD KAFKA_BROKERS REDIS_URL ORDER_PORT PRODUCT_PORT PAYMENT_PORT

# A local server's Unix socket, when the database user can log in through it: the services' hot
# path then skips TCP over loopback (cheaper round trips). DB_SOCKET= (empty) keeps TCP.
if [[ -z "${DB_SOCKET+set}" && "$DB_HOST" == 127.0.0.1 && -S /run/mysqld/mysqld.sock ]] &&
  MYSQL_PWD="$DB_PASSWORD" mariadb --protocol=SOCKET --socket=/run/mysqld/mysqld.sock -u "$DB_USER" -N -B -e 'select 1' >/dev/null 2>&1; then
  DB_SOCKET=/run/mysqld/mysqld.sock
  export DB_SOCKET
fi
