#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (a CTest fixture: tests/CMakeLists.txt).
#
#   postgres_cluster.sh start DIR   initdb + pg_ctl start on a Unix socket in a temporary folder
#                                   (as the postgres user when run as root: initdb refuses root),
#                                   then writes the server's URI to DIR/uri
#   postgres_cluster.sh restart DIR restarts that cluster (pg_ctl restart -m fast: every session
#                                   is cut, as in a failover); the reliability tests and benches
#                                   that restart a server start a cluster of their own for it
#   postgres_cluster.sh halt DIR    stops that cluster, keeping it; start-again DIR starts it again
#   postgres_cluster.sh stop DIR    stops that cluster and removes its folder
#
# Without PostgreSQL's server binaries (Debian: apt-get install postgresql), start writes the
# reason to DIR/uri instead; the tests then fail when CI=true and are skipped otherwise.
set -euo pipefail

action=${1:?usage: postgres_cluster.sh start|restart|halt|start-again|stop DIR}
dir=${2:?usage: postgres_cluster.sh start|restart|halt|start-again|stop DIR}
mkdir -p "$dir"

bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
    return
  fi
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)"
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# No TCP: the socket lives in the cluster's folder. fsync off: a test cluster is never kept.
server_options() {
  echo "-c listen_addresses='' -k $1 -c max_connections=300 -c fsync=off -c synchronous_commit=off"
}

case "$action" in
start)
  # A cluster an interrupted run left behind is stopped first.
  [ -f "$dir/cluster" ] && "$0" stop "$dir"
  mkdir -p "$dir"
  bin=$(bindir || true)
  if [ -z "$bin" ]; then
    echo "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql" | tee "$dir/uri"
    [ "${CI:-}" = true ] && exit 1
    exit 0
  fi
  cluster=$(mktemp -d /tmp/vami-pg-XXXXXX)
  chmod 755 "$cluster"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$cluster"
  fi
  echo "$cluster" > "$dir/cluster"
  as_owner "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust -E UTF8 >"$cluster/initdb.log" 2>&1 ||
    { cat "$cluster/initdb.log"; exit 1; }
  as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "$(server_options "$cluster")" start >/dev/null || { cat "$cluster/server.log"; exit 1; }
  echo "postgresql:///postgres?host=$cluster&user=postgres" > "$dir/uri"
  cat "$dir/uri"
  ;;
restart)
  cluster=$(cat "$dir/cluster")
  bin=$(bindir)
  as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -m fast -w -t 60 \
    -o "$(server_options "$cluster")" restart >/dev/null || { cat "$cluster/server.log"; exit 1; }
  ;;
halt)
  # Stopped but kept (start-again brings it back): a server down for a while.
  cluster=$(cat "$dir/cluster")
  as_owner "$(bindir)/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null
  ;;
start-again)
  cluster=$(cat "$dir/cluster")
  as_owner "$(bindir)/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 \
    -o "$(server_options "$cluster")" start >/dev/null || { cat "$cluster/server.log"; exit 1; }
  ;;
stop)
  if [ -f "$dir/cluster" ]; then
    cluster=$(cat "$dir/cluster")
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$cluster/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$cluster" "$dir/cluster"
  fi
  rm -f "$dir/uri"
  ;;
*)
  echo "usage: postgres_cluster.sh start|restart|halt|start-again|stop DIR" >&2
  exit 2
  ;;
esac
