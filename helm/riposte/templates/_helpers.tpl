{{/* Names, labels and the pod hardening shared by every template. */}}

{{- define "riposte.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "riposte.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "riposte.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "riposte.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: riposte
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component. Argument: dict "root" $ "component" "webhook". */}}
{{- define "riposte.selectorLabels" -}}
app.kubernetes.io/name: {{ include "riposte.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "riposte.componentLabels" -}}
{{ include "riposte.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "riposte.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{- define "riposte.webhookServiceName" -}}
{{ include "riposte.fullname" . }}-webhook
{{- end -}}

{{- define "riposte.alertsServiceName" -}}
{{ include "riposte.fullname" . }}-alerts
{{- end -}}

{{- define "riposte.webhookTLSSecret" -}}
{{ include "riposte.fullname" . }}-webhook-tls
{{- end -}}

{{- define "riposte.alertsTLSSecret" -}}
{{- if .Values.controller.alerts.tls.existingSecret -}}
{{ .Values.controller.alerts.tls.existingSecret }}
{{- else -}}
{{ include "riposte.fullname" . }}-alerts-tls
{{- end -}}
{{- end -}}

{{- define "riposte.alertsTokenSecret" -}}
{{- if .Values.controller.alerts.token.existingSecret -}}
{{ .Values.controller.alerts.token.existingSecret }}
{{- else -}}
{{ include "riposte.fullname" . }}-alerts-token
{{- end -}}
{{- end -}}

{{/* DNS names a Service answers to. Argument: dict "root" $ "service" NAME. */}}
{{- define "riposte.serviceDNSNames" -}}
{{- $ns := .root.Release.Namespace -}}
- {{ .service }}
- {{ .service }}.{{ $ns }}
- {{ .service }}.{{ $ns }}.svc
- {{ .service }}.{{ $ns }}.svc.{{ .root.Values.clusterDomain }}
{{- end -}}

{{/*
TLS material for a chart-generated serving certificate: reuses the Secret already in the
cluster (so `helm upgrade` keeps the CA the API server and Falco trust), else generates a new
CA and certificate. Returns YAML with base64 values for ca.crt, tls.crt and tls.key.
Argument: dict "root" $ "secret" NAME "service" SERVICE-NAME, optionally "extraHosts" LIST (more
names or IPv4 addresses for the certificate, e.g. the host of webhook.url).
*/}}
{{- define "riposte.tlsMaterial" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $data := dig "data" (dict) $existing -}}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") -}}
ca.crt: {{ index $data "ca.crt" }}
tls.crt: {{ index $data "tls.crt" }}
tls.key: {{ index $data "tls.key" }}
{{- else -}}
{{- $days := int .root.Values.generatedCerts.validityDays -}}
{{- $ns := .root.Release.Namespace -}}
{{- $dns := list .service (printf "%s.%s" .service $ns) (printf "%s.%s.svc" .service $ns) (printf "%s.%s.svc.%s" .service $ns .root.Values.clusterDomain) -}}
{{- $ips := list -}}
{{- range (default (list) .extraHosts) -}}
{{- if regexMatch "^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$" . -}}
{{- $ips = append $ips . -}}
{{- else -}}
{{- $dns = append $dns . -}}
{{- end -}}
{{- end -}}
{{- $ca := genCA (printf "%s-ca" .service) $days -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" .service .root.Release.Namespace) $ips $dns $days $ca -}}
ca.crt: {{ $ca.Cert | b64enc }}
tls.crt: {{ $cert.Cert | b64enc }}
tls.key: {{ $cert.Key | b64enc }}
{{- end -}}
{{- end -}}

{{/* Pod-level hardening. */}}
{{- define "riposte.podSecurityContext" -}}
runAsNonRoot: true
{{- with .Values.securityContext.runAsUser }}
runAsUser: {{ . }}
{{- end }}
{{- with .Values.securityContext.runAsGroup }}
runAsGroup: {{ . }}
{{- end }}
{{- with .Values.securityContext.fsGroup }}
fsGroup: {{ . }}
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level hardening: fixed, not configurable. */}}
{{- define "riposte.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Argument: dict "root" $ "component" NAME "cfg" .Values.<component>.topologySpread. */}}
{{- define "riposte.topologySpread" -}}
{{- if .cfg.enabled -}}
topologySpreadConstraints:
  - maxSkew: {{ .cfg.maxSkew }}
    topologyKey: {{ .cfg.topologyKey }}
    whenUnsatisfiable: {{ .cfg.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "riposte.selectorLabels" (dict "root" .root "component" .component) | nindent 8 }}
{{- end }}
{{- end -}}

{{/* One scrape endpoint of a ServiceMonitor/PodMonitor: the plain-HTTP `metrics` port.
Argument: dict "cfg" .Values.serviceMonitor (or .Values.podMonitor). */}}
{{- define "riposte.scrapeEndpoint" -}}
- port: metrics
  path: /metrics
  scheme: http
  interval: {{ .cfg.interval }}
  scrapeTimeout: {{ .cfg.scrapeTimeout }}
  {{- with .cfg.relabelings }}
  relabelings:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .cfg.metricRelabelings }}
  metricRelabelings:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
