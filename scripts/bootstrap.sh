#!/usr/bin/env bash
# Brings a checkout to the point where `npm run dev` and `npm test` work, from a machine
# that has only the system Node (20), npm and, for the offline Temporal server, Go.
# Runs as the predev/pretest hook; idempotent and fast (about a second) when nothing is missing.
# Everything it does is reported on stderr; stdout stays clean for the command that follows.
#
# Environment:
#   TEMPORAL_CLI_PATH             use this temporal CLI binary; nothing is built
#   INTERLOCK_CACHE               cache root (default ~/.cache/interlock); the CLI goes to $INTERLOCK_CACHE/bin
#   INTERLOCK_SKIP_TEMPORAL_CLI=1 do not build the CLI (the SDK downloads its own where the internet is reachable)
#   INTERLOCK_SKIP_BUILD=1        do not compile TypeScript to dist/
set -euo pipefail

TEMPORAL_CLI_VERSION=v1.5.1 # newest release without `replace` directives, which `go install` refuses
cd "$(dirname "$0")/.."

say() { printf 'bootstrap: %s\n' "$*" >&2; }

install_node_modules() {
  local reason=""
  if [[ ! -d node_modules ]]; then
    reason="node_modules is missing"
  elif [[ ! -f node_modules/.package-lock.json ]]; then
    reason="node_modules was not installed from package-lock.json"
  elif [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    reason="package-lock.json changed since the last install"
  else
    return 0
  fi
  say "$reason: npm ci"
  # The npm registry mirror on some machines serves only this platform's optional packages
  # (e.g. no @swc/core-darwin-*), so the lockfile lacks those entries and `npm ci` refuses it
  # as out of sync. `npm install` then installs the same locked versions without changing the lockfile.
  local npm_log lock_before
  npm_log="$(mktemp)"
  lock_before="$(cksum <package-lock.json)"
  if ! npm ci --no-audit --no-fund >&2 2>"$npm_log"; then
    # npm prints its whole usage text on a lockfile mismatch: show only the first error lines.
    grep -E '^npm error [^ -]' "$npm_log" | head -n 4 >&2 || true
    say "npm ci failed; retrying with npm install, which keeps the locked versions (full log: $npm_log)"
    npm install --no-audit --no-fund >&2
    if [[ "$(cksum <package-lock.json)" != "$lock_before" ]]; then
      say "package-lock.json did not match package.json; npm install updated it: commit the new lockfile"
      [[ "${CI:-}" == true ]] && exit 1
    fi
  else
    rm -f "$npm_log"
  fi
  # Mark the install as current even if npm wrote its hidden lockfile before package-lock.json.
  touch node_modules/.package-lock.json
  local node_version
  node_version="$(node_modules/.bin/node --version)"
  case "$node_version" in
    v24.*) ;;
    *)
      say "node_modules/.bin/node is $node_version, expected v24 (devDependency 'node'); npm scripts need it"
      exit 1
      ;;
  esac
}

ensure_temporal_cli() {
  if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
    if [[ ! -x "$TEMPORAL_CLI_PATH" ]]; then
      say "TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file"
      exit 1
    fi
    return 0
  fi
  if [[ "${INTERLOCK_SKIP_TEMPORAL_CLI:-}" == 1 ]]; then
    return 0
  fi
  local bin_dir="${INTERLOCK_CACHE:-$HOME/.cache/interlock}/bin"
  if [[ -x "$bin_dir/temporal" ]]; then
    return 0
  fi
  if ! command -v go >/dev/null 2>&1; then
    say "no temporal CLI at $bin_dir/temporal and no Go toolchain to build it."
    say "  Set TEMPORAL_CLI_PATH to a temporal CLI binary, or install Go (https://go.dev/dl/) and rerun."
    say "  Continuing: on a machine with internet access the Temporal SDK downloads its own dev server."
    return 0
  fi
  say "building the temporal CLI $TEMPORAL_CLI_VERSION into $bin_dir (first time only, takes a few minutes)"
  mkdir -p "$bin_dir"
  # Build into a scratch directory and move into place, so an interrupted build never leaves a broken binary.
  local scratch
  scratch="$(mktemp -d "$bin_dir/.build.XXXXXX")"
  if ! GOBIN="$scratch" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2; then
    rm -rf "$scratch"
    say "go install of the temporal CLI failed (see above)."
    say "  Set TEMPORAL_CLI_PATH to an existing binary, or INTERLOCK_SKIP_TEMPORAL_CLI=1 to let the SDK download one."
    exit 1
  fi
  mv -f "$scratch/temporal" "$bin_dir/temporal"
  rm -rf "$scratch"
  say "temporal CLI ready: $("$bin_dir/temporal" --version)"
}

build_typescript() {
  if [[ "${INTERLOCK_SKIP_BUILD:-}" == 1 ]]; then
    return 0
  fi
  # Incremental: the build info lives in dist/, so deleting dist/ forces a full build.
  say "compiling TypeScript (tsc -p tsconfig.build.json -> dist/)"
  node_modules/.bin/node node_modules/typescript/bin/tsc -p tsconfig.build.json >&2
  # tsc never deletes: drop compiled files whose source is gone (a module moved into a folder of
  # the same name would otherwise be shadowed by its stale old file, e.g. x.js beside x/index.js).
  local compiled
  while IFS= read -r compiled; do
    local source="${compiled#dist/}"
    source="${source%.js}.ts"
    [[ -f "$source" ]] || rm -f "$compiled" "${compiled%.js}.d.ts" "${compiled}.map"
  done < <(find dist/src dist/integrations -name '*.js' 2>/dev/null)
  # Workers load the prebuilt workflow bundle when it exists, so it must never be older than the
  # compiled code it was made from (tsc rewrites only the outputs that changed).
  local bundler=dist/src/worker/workflow-bundle.js bundle=dist/workflow-bundle.js
  if [[ -f "$bundler" ]] && { [[ ! -f "$bundle" ]] || [[ -n "$(find dist/src -name '*.js' -newer "$bundle" -print -quit)" ]]; }; then
    say "bundling workflow code ($bundle)"
    node_modules/.bin/node "$bundler" >&2
  fi
}

install_node_modules
ensure_temporal_cli
build_typescript
