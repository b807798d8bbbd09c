{{- define "watchkeeper.labels" -}}
app.kubernetes.io/name: watchkeeper
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The ServiceAccount the operator runs as: serviceAccount.name, else the release's name. */}}
{{- define "watchkeeper.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default .Release.Name -}}
{{- end }}

{{/* repository:tag, or repository@digest when image.digest is set. */}}
{{- define "watchkeeper.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{- define "watchkeeper.selectorLabels" -}}
app.kubernetes.io/name: watchkeeper
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "watchkeeper.operatorRules" -}}
- apiGroups: [watchkeeper.io]
  resources: [resourcewatches, clusterresourcewatches]
  verbs: [get, list, watch, patch, update]
- apiGroups: [watchkeeper.io]
  resources: [resourcewatches/status, clusterresourcewatches/status]
  verbs: [get, patch, update]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
- apiGroups: [authentication.k8s.io]
  resources: [tokenreviews]
  verbs: [create]
- apiGroups: [authorization.k8s.io]
  resources: [subjectaccessreviews]
  verbs: [create]
{{- end }}

{{/* The insight reconcilers' namespaces: insight.namespaces, else watchNamespaces; "own" is the release namespace.
     Empty list: all namespaces. */}}
{{- define "watchkeeper.insightNamespaces" -}}
{{- $ns := .Values.insight.namespaces | default .Values.watchNamespaces -}}
{{- $out := list -}}
{{- range $ns }}{{ $out = append $out (eq . "own" | ternary $.Release.Namespace .) }}{{ end -}}
{{- if has "*" $out }}{{ $out = list }}{{ end -}}
{{- join "," (uniq $out) -}}
{{- end }}

{{/* What the insight reconcilers read (pods for both; Services for the Service one) and write (Events). */}}
{{- define "watchkeeper.insightRules" -}}
- apiGroups: [""]
  resources: [pods{{ if .Values.insight.services.enabled }}, services{{ end }}]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [events]
  verbs: [list, watch, create, update]
{{- end }}

{{/* The Lease the replicas elect their leader through. */}}
{{- define "watchkeeper.leaseName" -}}
{{ .Release.Name }}-leader
{{- end }}
