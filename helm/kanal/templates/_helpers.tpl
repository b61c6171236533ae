{{/* Names, labels and shared snippets of the Kanal chart. */}}

{{- define "kanal.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<chart>, or the release alone when it already contains the chart name.
Kept at 40 characters so "<fullname>-controller-<hash>-<hash>" stays a valid pod name. */}}
{{- define "kanal.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kanal.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; call with (dict "ctx" $ "component" "broker"). */}}
{{- define "kanal.labels" -}}
helm.sh/chart: {{ include "kanal.chart" .ctx }}
{{ include "kanal.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: kanal
{{- end -}}

{{- define "kanal.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kanal.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Image of a Kanal component (broker, controller, cli). */}}
{{- define "kanal.image" -}}
{{- printf "%s/%s:%s" .ctx.Values.image.repository .component (default .ctx.Chart.AppVersion .ctx.Values.image.tag) -}}
{{- end -}}

{{- define "kanal.broker.fullname" -}}{{ include "kanal.fullname" . }}-broker{{- end -}}
{{- define "kanal.broker.headless" -}}{{ include "kanal.fullname" . }}-broker-headless{{- end -}}
{{- define "kanal.controller.fullname" -}}{{ include "kanal.fullname" . }}-controller{{- end -}}
{{- define "kanal.registry.fullname" -}}{{ include "kanal.fullname" . }}-schema-registry{{- end -}}
{{- define "kanal.connect.fullname" -}}{{ include "kanal.fullname" . }}-connect{{- end -}}
{{- define "kanal.etcd.fullname" -}}{{ include "kanal.fullname" . }}-etcd{{- end -}}
{{- define "kanal.etcd.headless" -}}{{ include "kanal.fullname" . }}-etcd-headless{{- end -}}

{{- define "kanal.serviceAccountName" -}}
{{- if .ctx.Values.serviceAccount.create -}}
{{ include "kanal.fullname" .ctx }}-{{ .component }}
{{- else -}}
default
{{- end -}}
{{- end -}}

{{/* The etcd client endpoints the services use: the external list, or every member of the
chart's etcd (clients fail over between members). */}}
{{- define "kanal.etcd.endpoints" -}}
{{- if .Values.etcd.external.endpoints -}}
{{- join "," .Values.etcd.external.endpoints -}}
{{- else -}}
{{- $headless := include "kanal.etcd.headless" . -}}
{{- $set := include "kanal.etcd.fullname" . -}}
{{- $members := list -}}
{{- range $i := until (int .Values.etcd.replicas) -}}
{{- $members = append $members (printf "%s-%d.%s.%s.svc:2379" $set $i $headless $.Release.Namespace) -}}
{{- end -}}
{{- join "," $members -}}
{{- end -}}
{{- end -}}

{{/* Environment every Kanal service shares. */}}
{{- define "kanal.commonEnv" -}}
- name: KANAL_ETCD
  value: {{ include "kanal.etcd.endpoints" . | quote }}
{{- end -}}

{{- define "kanal.metricsPort" -}}
{{- if .ctx.Values.metrics.enabled -}}{{ .port | int64 }}{{- else -}}0{{- end -}}
{{- end -}}


{{/* The brokers' bootstrap Service, host:port (registry and connect clients use it). */}}
{{- define "kanal.bootstrap" -}}
{{ include "kanal.broker.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.broker.port | int64 }}
{{- end -}}

{{/* OpenTelemetry export of a service whose flag env prefix is .prefix (KANAL_BROKER,
KANAL_CONTROLLER, KANAL_REGISTRY, KANAL_CONNECT); nothing when tracing.otlpEndpoint is empty. */}}
{{- define "kanal.tracingEnv" -}}
{{- with .ctx.Values.tracing }}
{{- if .otlpEndpoint }}
- name: {{ $.prefix }}_OTLP_ENDPOINT
  value: {{ .otlpEndpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerArg | quote }}
{{- end }}
{{- end }}
{{- end -}}
