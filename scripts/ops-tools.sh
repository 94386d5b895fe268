#!/usr/bin/env bash
# Builds the deployment checkers once, from their Go modules, into the cache (like the temporal
# CLI in scripts/bootstrap.sh), and prepares the offline schemas kubeconform validates against.
# Idempotent: a tool already built at its pinned version is not rebuilt (the version is in the
# file name, so bumping a pin below rebuilds it). Prints, on stdout, one `NAME=PATH` line per
# tool for scripts/check-deploy.sh to eval; progress goes to stderr.
#
#   bash scripts/ops-tools.sh            # all tools
#   bash scripts/ops-tools.sh promtool   # one of: promtool helm kubeconform compose-check schemas
#
# Environment: INTERLOCK_CACHE (default ~/.cache/interlock): binaries in $INTERLOCK_CACHE/bin,
# Kubernetes schemas in $INTERLOCK_CACHE/k8s-schemas. GOFLAGS is passed to go (CI: -p=2).
set -euo pipefail

# Newest versions whose go.mod has no `replace` directive (which `go install pkg@version`
# refuses) and whose `go` line this machine's Go (1.26.8, GOTOOLCHAIN=local) accepts.
PROMTOOL_VERSION=v0.316.0   # github.com/prometheus/prometheus
HELM_VERSION=v3.22.0        # helm.sh/helm/v3
KUBECONFORM_VERSION=v0.8.0  # github.com/yannh/kubeconform
# Schemas: the Kubernetes OpenAPI document shipped in the k8s.io/kubernetes module, and the
# ServiceMonitor CRD shipped in the prometheus-operator module (docs/deployment.md#checks).
KUBERNETES_VERSION=v1.35.4
PROMETHEUS_OPERATOR_VERSION=v0.85.0

cd "$(dirname "$0")/.."
CACHE="${INTERLOCK_CACHE:-$HOME/.cache/interlock}"
BIN="$CACHE/bin"

say() { printf 'ops-tools: %s\n' "$*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    say "Go is needed to build the deployment checkers (https://go.dev/dl/)"
    exit 1
  fi
}

# go_install NAME PACKAGE VERSION [TAGS]: builds PACKAGE@VERSION into $BIN/NAME-VERSION[-TAGS].
go_install() {
  local name="$1" package="$2" version="$3" tags="${4:-}"
  local target="$BIN/$name-$version${tags:+-$tags}"
  if [[ ! -x "$target" ]]; then
    need_go
    mkdir -p "$BIN"
    say "building $name $version from its Go module (first time only, takes minutes)"
    local scratch start
    scratch="$(mktemp -d "$BIN/.build.XXXXXX")"
    start=$SECONDS
    # Built into a scratch directory and moved into place: an interrupted build leaves no broken binary.
    if ! GOBIN="$scratch" go install ${tags:+-tags "$tags"} "$package@$version" >&2; then
      rm -rf "$scratch"
      say "go install $package@$version failed (see above)"
      exit 1
    fi
    mv -f "$scratch/$(basename "$package")" "$target"
    rm -rf "$scratch"
    say "$name $version built in $((SECONDS - start)) s"
  fi
  printf '%s=%q\n' "$(tr a-z- A-Z_ <<<"$name")" "$target"
}

# compose-check is this repository's own small Go program (deploy/tools/compose-check): cached
# by the hash of its sources, since it has no version.
compose_check() {
  local dir=deploy/tools/compose-check hash target
  hash="$(cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go" | cksum | cut -d' ' -f1)"
  target="$BIN/compose-check-$hash"
  if [[ ! -x "$target" ]]; then
    need_go
    mkdir -p "$BIN"
    say "building compose-check (compose-go, the loader of docker compose)"
    local start=$SECONDS
    (cd "$dir" && go build -mod=readonly -o "$target.tmp" .) >&2
    mv -f "$target.tmp" "$target"
    say "compose-check built in $((SECONDS - start)) s"
  fi
  printf 'COMPOSE_CHECK=%q\n' "$target"
}

# Standalone strict JSON schemas (the layout kubeconform reads) generated from the OpenAPI
# document of k8s.io/kubernetes and the ServiceMonitor CRD (scripts/k8s-schemas.ts).
schemas() {
  local target="$CACHE/k8s-schemas/$KUBERNETES_VERSION-po$PROMETHEUS_OPERATOR_VERSION"
  if [[ ! -f "$target/.complete" ]]; then
    need_go
    local kube operator
    say "fetching the Kubernetes $KUBERNETES_VERSION OpenAPI document (k8s.io/kubernetes module, ~19 MB, cached by Go)"
    kube="$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | node_modules/.bin/node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).Dir)')"
    operator="$(go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" | node_modules/.bin/node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0,"utf8")).Dir)')"
    rm -rf "$target"
    node_modules/.bin/node scripts/k8s-schemas.ts \
      --openapi "$kube/api/openapi-spec/swagger.json" \
      --crd "$operator/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
      --crd "$operator/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
      --out "$target" >&2
    touch "$target/.complete"
  fi
  printf 'K8S_SCHEMAS=%q\nKUBERNETES_VERSION=%q\n' "$target" "$KUBERNETES_VERSION"
}

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(promtool helm kubeconform compose-check schemas)
for tool in "${tools[@]}"; do
  case "$tool" in
    # remove_all_sd: without the cloud service-discovery plugins (AWS, Azure, GCE...), which
    # rule checks and rule tests never use; the build takes a fraction of the time.
    promtool) go_install promtool github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_VERSION" remove_all_sd ;;
    helm) go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" ;;
    kubeconform) go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" ;;
    compose-check) compose_check ;;
    schemas) schemas ;;
    *)
      say "unknown tool $tool (promtool helm kubeconform compose-check schemas)"
      exit 2
      ;;
  esac
done
