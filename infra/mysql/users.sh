#!/bin/bash
# Run once by the mysql image on an empty data volume (/docker-entrypoint-initdb.d, after
# init.sql): one user per service, allowed into its own database only (the services migrate it on
# start); the passwords come from infra/.env (infra/compose-secrets.sh). The one-shot migrate
# container alone logs in as root. Sourced by the image's entry point: no `set -e` here.

mysql_users_sql() {
  if declare -F docker_process_sql >/dev/null; then docker_process_sql; else mysql --protocol=socket -uroot -p"$MYSQL_ROOT_PASSWORD"; fi
}

for spec in "order_service order_db ORDER_DB_PASSWORD" "product_service product_db PRODUCT_DB_PASSWORD" "payment_service payment_db PAYMENT_DB_PASSWORD"; do
  read -r user db variable <<<"$spec"
  password="${!variable:-}"
  if [[ -z "$password" ]]; then
    echo "users.sh: $variable is empty: run infra/compose-secrets.sh" >&2
    exit 1
  fi
  # a SQL string literal: backslashes and quotes doubled
  password="${password//\\/\\\\}"
  password="${password//\'/\'\'}"
  mysql_users_sql <<SQL
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'%';
SQL
  echo "users.sh: $user may use $db only"
done
unset password
