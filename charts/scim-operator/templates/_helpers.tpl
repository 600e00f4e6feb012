{{- define "scim-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "scim-operator.fullname" -}}
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

{{- define "scim-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "scim-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with (include "scim-operator.commonLabels" . | fromYaml) }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- /* global.commonLabels, then commonLabels over them: a parent chart labels all its subcharts, this chart its own. */ -}}
{{- define "scim-operator.commonLabels" -}}
{{- $global := ((.Values.global).commonLabels) | default dict -}}
{{- toYaml (merge (deepCopy (.Values.commonLabels | default dict)) $global) -}}
{{- end -}}

{{- /* An image reference from {repository, tag, digest}: the digest wins over the tag; the tag defaults to appVersion. */ -}}
{{- define "scim-operator.image" -}}
{{- $image := index . 0 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository ($image.tag | default (index . 1)) -}}
{{- end -}}
{{- end -}}

{{- define "scim-operator.imagePullSecrets" -}}
{{- $secrets := concat (((.Values.global).imagePullSecrets) | default list) (.Values.imagePullSecrets | default list) | uniq -}}
{{- with $secrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "scim-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "scim-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "scim-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "scim-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "scim-operator.tokenSecretName" -}}
{{- default (printf "%s-tokens" (include "scim-operator.fullname" .)) .Values.token.existingSecret -}}
{{- end -}}

{{- define "scim-operator.publicUrl" -}}
{{- if .Values.scim.publicUrl -}}
{{- .Values.scim.publicUrl -}}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
{{- printf "https://%s/scim/v2" .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s.%s.svc/scim/v2" (include "scim-operator.fullname" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}
