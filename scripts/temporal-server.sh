#!/usr/bin/env bash
# Temporal's production server (go.temporal.io/server) with PostgreSQL persistence, for checking
# Interlock against the server a deployment runs rather than the dev server (SQLite) the suite
# uses by default. docker-compose.yml runs the same version (test/docs/temporal-version.test.ts).
#
#   scripts/temporal-server.sh build        build the server and its sql tool once into the cache (the pretest hook)
#   scripts/temporal-server.sh start DIR    create and migrate the databases, start the server in the
#                                           background (state, config and log in DIR), wait until it
#                                           serves, register the namespace; prints host:port on stdout
#   scripts/temporal-server.sh stop DIR     stop the server started in DIR (SIGTERM, then SIGKILL after 30 s);
#                                           with --drop also drop its two databases
#
# Environment:
#   INTERLOCK_CACHE                  cache root (default ~/.cache/interlock); binaries go to $INTERLOCK_CACHE/bin
#   TEMPORAL_SERVER_DB               persistence database (default temporal); visibility is <db>_visibility
#   TEMPORAL_SERVER_PORT             frontend gRPC port on 127.0.0.1 (default: a free port)
#   TEMPORAL_SERVER_NAMESPACE        namespace registered at start (default default)
#   PGHOST PGPORT PGUSER PGPASSWORD  PostgreSQL (default 127.0.0.1, 5432, postgres, none: trust auth)
set -euo pipefail

TEMPORAL_SERVER_VERSION=v1.29.1 # the version docker-compose.yml runs (temporalio/auto-setup), checked by a test
cd "$(dirname "$0")/.."

say() { printf 'temporal-server: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

bin_dir="${INTERLOCK_CACHE:-$HOME/.cache/interlock}/bin"
server_bin="$bin_dir/temporal-server-$TEMPORAL_SERVER_VERSION"
sql_bin="$bin_dir/temporal-sql-tool-$TEMPORAL_SERVER_VERSION"
cli_bin="${TEMPORAL_CLI_PATH:-$bin_dir/temporal}"
pg_host="${PGHOST:-127.0.0.1}"
pg_port="${PGPORT:-5432}"
pg_user="${PGUSER:-postgres}"
pg_password="${PGPASSWORD:-}"

# Builds one command of the server module into the cache under a versioned name. Built in a
# scratch directory and moved into place, so an interrupted build never leaves a broken binary.
build_one() {
  local package="$1" built_name="$2" target="$3"
  [[ -x "$target" ]] && return 0
  command -v go >/dev/null 2>&1 || die "no Go toolchain to build $package (https://go.dev/dl/)"
  say "building $package@$TEMPORAL_SERVER_VERSION into $bin_dir (first time only; several minutes)"
  mkdir -p "$bin_dir"
  local scratch started
  scratch="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  started=$SECONDS
  if ! GOBIN="$scratch" go install "$package@$TEMPORAL_SERVER_VERSION" >&2; then
    rm -rf "$scratch"
    die "go install $package@$TEMPORAL_SERVER_VERSION failed (see above)"
  fi
  mv -f "$scratch/$built_name" "$target"
  rm -rf "$scratch"
  say "built $target in $((SECONDS - started)) s"
}

build() {
  build_one go.temporal.io/server/cmd/server server "$server_bin"
  build_one go.temporal.io/server/cmd/tools/sql sql "$sql_bin"
}

psql_admin() { PGPASSWORD="$pg_password" psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -tAq "$@"; }

sql_tool() {
  "$sql_bin" --plugin postgres12 --endpoint "$pg_host" --port "$pg_port" --user "$pg_user" \
    --password "$pg_password" --database "$1" "${@:2}" >>"$schema_log" 2>&1 ||
    {
      tail -n 20 "$schema_log" >&2
      die "temporal-sql-tool ${*:2} on $1 failed (log: $schema_log)"
    }
}

# Creates the database on first use, then migrates it to the schema embedded in the sql tool
# (schema/postgresql/v12/... of the module), which is what a server upgrade does too.
migrate() {
  local db="$1" schema="$2"
  if [[ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]]; then
    say "creating database $db"
    sql_tool "$db" create-database
    sql_tool "$db" setup-schema --version 0.0
  fi
  sql_tool "$db" update-schema --schema-name "$schema"
}

# Prints n free TCP ports on 127.0.0.1, all distinct (each held open until all are found), below
# 32768: the server records its membership ports in cluster_membership.rpc_port, a SMALLINT,
# so a port from the kernel's ephemeral range (32768 and up) stops it at startup.
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        for (const s of servers) s.close();
        return;
      }
      const s = net.createServer();
      s.once("error", next);
      s.listen(20000 + Math.floor(Math.random() * 12000), "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();' "$1"
}

write_config() {
  local dir="$1" db="$2" vis_db="$3" frontend="$4"
  local ports
  read -r -a ports <<<"$(free_ports 8)"
  mkdir -p "$dir/config"
  # One cluster, four services in one process, no TLS, no auth (127.0.0.1 only), no metrics.
  cat >"$dir/config/interlock.yaml" <<YAML
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: $db
        connectAddr: "$pg_host:$pg_port"
        connectProtocol: tcp
        user: "$pg_user"
        password: "$pg_password"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: $vis_db
        connectAddr: "$pg_host:$pg_port"
        connectProtocol: tcp
        user: "$pg_user"
        password: "$pg_password"
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: { grpcPort: $frontend, membershipPort: ${ports[0]}, httpPort: ${ports[1]}, bindOnLocalHost: true }
  matching:
    rpc: { grpcPort: ${ports[2]}, membershipPort: ${ports[3]}, bindOnLocalHost: true }
  history:
    rpc: { grpcPort: ${ports[4]}, membershipPort: ${ports[5]}, bindOnLocalHost: true }
  worker:
    rpc: { grpcPort: ${ports[6]}, membershipPort: ${ports[7]}, bindOnLocalHost: true }
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$frontend"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$dir/dynamicconfig.yaml"
  pollInterval: 10s
YAML
  # Interlock decides approvals with workflow updates (on by default in 1.29, stated so an
  # operator's override is visible). A namespace registered by a test or `interlock` setup is
  # usable within a second rather than the default 10 s cache refresh.
  cat >"$dir/dynamicconfig.yaml" <<'YAML'
frontend.enableUpdateWorkflowExecution:
  - value: true
system.namespaceCacheRefreshInterval:
  - value: 1s
YAML
}

running_pid() {
  local dir="$1" pid
  [[ -f "$dir/server.pid" ]] || return 1
  pid="$(cat "$dir/server.pid")"
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  local dir="${1:?usage: temporal-server.sh start DIR}"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  running_pid "$dir" >/dev/null && die "a server started in $dir is still running (stop it first)"
  [[ -x "$cli_bin" ]] || die "no temporal CLI at $cli_bin (run scripts/bootstrap.sh)"
  command -v psql >/dev/null 2>&1 || die "psql is needed to create the databases (apt-get install postgresql-client)"
  build
  local db="${TEMPORAL_SERVER_DB:-temporal}" namespace="${TEMPORAL_SERVER_NAMESPACE:-default}"
  local vis_db="${db}_visibility" frontend="${TEMPORAL_SERVER_PORT:-$(free_ports 1)}"
  schema_log="$dir/schema.log"
  migrate "$db" postgresql/v12/temporal
  migrate "$vis_db" postgresql/v12/visibility
  echo "$db $vis_db" >"$dir/databases"
  write_config "$dir" "$db" "$vis_db" "$frontend"
  local address="127.0.0.1:$frontend"
  # setsid: the server outlives this script and is not signalled with the caller's process group.
  setsid "$server_bin" --root "$dir" --config config --env interlock --allow-no-auth start \
    >"$dir/server.log" 2>&1 </dev/null &
  echo $! >"$dir/server.pid"
  say "server $TEMPORAL_SERVER_VERSION starting on $address (pid $!, log $dir/server.log)"
  local deadline=$((SECONDS + 180))
  until "$cli_bin" operator cluster health --address "$address" 2>/dev/null | grep -q SERVING; do
    if ! running_pid "$dir" >/dev/null; then
      tail -n 30 "$dir/server.log" >&2
      die "the server exited before serving (log above)"
    fi
    ((SECONDS < deadline)) || die "the server did not serve within 180 s (log: $dir/server.log)"
    sleep 1
  done
  if ! "$cli_bin" operator namespace describe --address "$address" --namespace "$namespace" >/dev/null 2>&1; then
    "$cli_bin" operator namespace create --address "$address" --namespace "$namespace" --retention 72h >&2
  fi
  echo "$address" >"$dir/address"
  say "serving on $address, namespace $namespace"
  echo "$address"
}

stop() {
  local dir="${1:?usage: temporal-server.sh stop DIR [--drop]}" drop="${2:-}" pid
  if pid="$(running_pid "$dir")"; then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      say "server pid $pid did not stop within 30 s of SIGTERM: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/server.pid"
  if [[ "$drop" == --drop && -f "$dir/databases" ]]; then
    local db
    for db in $(cat "$dir/databases"); do
      psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >&2
    done
    rm -f "$dir/databases"
  fi
}

case "${1:-}" in
  build) build ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" "${3:-}" ;;
  version) echo "$TEMPORAL_SERVER_VERSION" ;;
  *) die "usage: temporal-server.sh build | start DIR | stop DIR [--drop] | version" ;;
esac
