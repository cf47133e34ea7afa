#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis the tests use answer on 127.0.0.1:
# start them when installed, install them (Debian packages) when missing; the same for the
# chromium the browser tests drive.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

apt_install() {
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

postgres_answers() {
  psql -h 127.0.0.1 -U root -d postgres -tAc 'select 1' >/dev/null 2>&1
}

ensure_postgres() {
  if postgres_answers; then return; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services: installing PostgreSQL"
    apt_install postgresql postgresql-contrib
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
  if ! postgres_answers; then
    # A fresh cluster: let the local root role in over 127.0.0.1, as on the project's machines.
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    $SUDO su postgres -c "psql -qc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'root') THEN CREATE ROLE root SUPERUSER LOGIN; END IF; END \\\$\\\$\""
    $SUDO sed -i '1i host all root 127.0.0.1/32 trust\nhost all root ::1/128 trust' "$hba"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  postgres_answers || { echo "services: PostgreSQL does not answer on 127.0.0.1:5432" >&2; exit 1; }
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then return; fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis"
    apt_install redis-server
  fi
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 ping >/dev/null || { echo "services: Redis does not answer on 127.0.0.1:6379" >&2; exit 1; }
}

ensure_chromium() {
  # The browser tests (tests/browser) drive Debian's chromium; Playwright downloads none.
  if command -v chromium >/dev/null 2>&1; then return; fi
  echo "services: installing chromium"
  apt_install chromium
  command -v chromium >/dev/null 2>&1 || { echo "services: chromium could not be installed" >&2; exit 1; }
}

ensure_postgres
ensure_redis
ensure_chromium
echo "services: PostgreSQL and Redis answer on 127.0.0.1; chromium is installed"
