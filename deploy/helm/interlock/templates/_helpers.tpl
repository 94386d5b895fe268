{{/* Names and labels (the usual Helm conventions). */}}
{{- define "interlock.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "interlock.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "interlock.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "interlock.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: include "interlock.selectorLabels" (list . "api") */}}
{{- define "interlock.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "interlock.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "interlock.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "interlock.configMapName" -}}
{{- default (printf "%s-config" (include "interlock.fullname" .)) .Values.config.existingConfigMap }}
{{- end }}

{{/*
The configuration file must let the probes and the scraper in: metrics listen on all
interfaces, on the ports the Services and probes use. Checked when the chart renders the file.
*/}}
{{- define "interlock.checkConfig" -}}
{{- if not .Values.config.existingConfigMap }}
{{- $config := fromYaml .Values.config.file }}
{{- if hasKey $config "Error" }}
{{- fail (printf "config.file is not YAML Helm can read (write placeholders in block style, key: ${VAR}): %s" (get $config "Error")) }}
{{- end }}
{{- $metrics := default dict (get $config "metrics") }}
{{- if ne (toString (get $metrics "host")) "0.0.0.0" }}
{{- fail "config.file: metrics.host must be 0.0.0.0 (the kubelet probes the worker and Prometheus scrapes on the metrics ports)" }}
{{- end }}
{{- if ne (int (default 0 (get $metrics "workerPort"))) (int .Values.worker.metricsPort) }}
{{- fail (printf "config.file: metrics.workerPort must equal worker.metricsPort (%v)" .Values.worker.metricsPort) }}
{{- end }}
{{- if ne (int (default 0 (get $metrics "port"))) (int .Values.api.metricsPort) }}
{{- fail (printf "config.file: metrics.port must equal api.metricsPort (%v; 0: unset)" .Values.api.metricsPort) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Environment, volumes and mounts shared by the api, worker and migrations containers. */}}
{{- define "interlock.env" -}}
- name: INTERLOCK_CONFIG
  value: /etc/interlock/interlock.yaml
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.database.urlSecret.name }}
      key: {{ .Values.database.urlSecret.key }}
# server.host and server.port of the configuration file (the worker ignores them).
- name: INTERLOCK_HOST
  value: 0.0.0.0
- name: INTERLOCK_PORT
  value: {{ .Values.api.port | quote }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "interlock.envFrom" -}}
{{- range .Values.envFromSecrets }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{- define "interlock.volumeMounts" -}}
- name: config
  mountPath: /etc/interlock
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "interlock.volumes" -}}
- name: config
  configMap:
    name: {{ include "interlock.configMapName" . }}
    items:
      - key: interlock.yaml
        path: interlock.yaml
# The root filesystem is read-only: Node and its libraries get a scratch /tmp.
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every Interlock pod. */}}
{{- define "interlock.podSpec" -}}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* NetworkPolicy egress rules: DNS and PostgreSQL (every pod), Temporal (api and worker). */}}
{{- define "interlock.egressCommon" -}}
{{- $np := .Values.networkPolicy }}
{{- if $np.egress.dns.enabled }}
# Name resolution.
- to:
    {{- toYaml $np.egress.dns.to | nindent 4 }}
  ports:
    - { port: 53, protocol: UDP }
    - { port: 53, protocol: TCP }
{{- end }}
# PostgreSQL.
- ports:
    - { port: {{ $np.egress.postgres.port }}, protocol: TCP }
  {{- with $np.egress.postgres.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- define "interlock.egressTemporal" -}}
{{- $np := .Values.networkPolicy }}
# Temporal's frontend.
- ports:
    - { port: {{ $np.egress.temporal.port }}, protocol: TCP }
  {{- with $np.egress.temporal.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
