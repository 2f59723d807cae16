#!/usr/bin/env bash
# After `pulumi destroy --exclude-protected`: nothing of the stack that bills while idle or running is left
# (Cloud Run services, VMs, Batch jobs, uptime checks), and the marker written to the data bucket before is
# still there, unchanged. Every list is filtered by the stack's `stack` label.
set -euo pipefail
stack=${1:?usage: e2e-assert-clean.sh STACK PROJECT REGION DATA_BUCKET MARKER}
project=${2:?project}
region=${3:?region}
bucket=${4:?data bucket}
marker=${5:?marker}
left=$(
  gcloud run services list --project "$project" --region "$region" --filter "metadata.labels.stack=$stack" --format 'value(metadata.name)'
  gcloud compute instances list --project "$project" --filter "labels.stack=$stack" --format 'value(name)'
  gcloud batch jobs list --project "$project" --location "$region" --filter "labels.stack=$stack AND status.state:(QUEUED SCHEDULED RUNNING)" --format 'value(name)'
  gcloud monitoring uptime list-configs --project "$project" --filter "userLabels.stack=$stack" --format 'value(name)'
)
if [ -n "$left" ]; then
  echo "::error title=e2e $stack::still billing after the pause: $(echo "$left" | tr '\n' ' ')"
  exit 1
fi
kept=$(gcloud storage cat "gs://$bucket/e2e/marker")
if [ "$kept" != "$marker" ]; then
  echo "::error title=e2e $stack::the data bucket lost its marker (found: ${kept:-nothing})"
  exit 1
fi
echo "ok: nothing billable left of $stack, and gs://$bucket/e2e/marker survived"
