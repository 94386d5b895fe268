#!/usr/bin/env bash
# Checks the deployment artefacts offline (docs/deployment.md#checks), as CI does:
#  - deploy/prometheus: `promtool check rules` and `promtool test rules` (synthetic series), and
#    every query of the Grafana dashboard parsed by promtool as well;
#  - deploy/helm/interlock: `helm lint --strict` and `helm template | kubeconform -strict` with
#    the default values and each ci/*-values.yaml, against schemas made offline from the
#    Kubernetes OpenAPI document and the prometheus-operator CRDs; a configuration the chart
#    must refuse is refused;
#  - docker-compose.yml: loaded by compose-go as `docker compose config` would.
# The tools are built once by scripts/ops-tools.sh (cached under ~/.cache/interlock).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\ncheck-deploy: %s\n' "$*" >&2; }

tools="$(bash scripts/ops-tools.sh)" # a failed build stops here (set -e)
eval "$tools"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

say "Prometheus rules: promtool $("$PROMTOOL" --version 2>&1 | head -n 1 | awk '{print $3}')"
"$PROMTOOL" check rules deploy/prometheus/interlock.rules.yml
"$PROMTOOL" test rules deploy/prometheus/interlock.rules.test.yml

say "Grafana dashboard queries parse (as recording rules, \$__rate_interval read as 5m)"
node_modules/.bin/node -e '
  const dashboard = JSON.parse(require("fs").readFileSync("deploy/grafana/interlock.json", "utf8"));
  const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  const rules = exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expr.replaceAll("$__rate_interval", "5m") }));
  process.stdout.write(JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
' >"$work/dashboard.rules.json"
"$PROMTOOL" check rules --lint=none "$work/dashboard.rules.json"

chart=deploy/helm/interlock
say "Helm chart: $("$HELM" version --short)"
# helm built by `go install` lacks the release build's Kubernetes version (it would assume 1.20):
# render for the version the schemas come from.
kube=(--kube-version "$KUBERNETES_VERSION")
"$HELM" lint --strict "${kube[@]}" "$chart"
for values in "$chart"/ci/*-values.yaml; do
  "$HELM" lint --strict "${kube[@]}" "$chart" -f "$values"
done

say "Rendered manifests against Kubernetes schemas ($(basename "$K8S_SCHEMAS")), kubeconform -strict"
"$HELM" template interlock "$chart" "${kube[@]}" --namespace interlock >"$work/default.yaml"
for values in "$chart"/ci/*-values.yaml; do
  "$HELM" template interlock "$chart" "${kube[@]}" --namespace interlock -f "$values" >"$work/$(basename "$values")"
done
# Only the local schemas: no default location, so nothing is downloaded and no kind is skipped
# (a kind without a schema is an error).
"$KUBECONFORM" -strict -summary -schema-location "$K8S_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$work"/*.yaml

say "The chart refuses a configuration the probes and the scraper could not reach"
cat >"$work/refused-values.yaml" <<'VALUES'
config:
  file: |
    metrics:
      host: 127.0.0.1
      port: 9463
      workerPort: 9464
VALUES
if "$HELM" template interlock "$chart" "${kube[@]}" -f "$work/refused-values.yaml" >/dev/null 2>"$work/refused.txt"; then
  echo "helm template accepted metrics.host 127.0.0.1" >&2
  exit 1
fi
grep -q 'metrics.host must be 0.0.0.0' "$work/refused.txt"

say "docker-compose.yml (compose-go, the loader of docker compose)"
POSTGRES_PASSWORD=check "$COMPOSE_CHECK" -quiet docker-compose.yml

say "all deployment checks passed"
