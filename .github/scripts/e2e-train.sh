#!/usr/bin/env bash
# One short training run of the e2e stack, as a group starts one: the stack's train command, then waits for
# the Cloud Batch job to end, and fails unless it succeeded, wrote log lines and left a model in the models
# bucket. TRIES and WAIT set the patience (default 60 × 20 s); TRAIN is the command (default `npm run -s train --`).
set -euo pipefail
stack=${1:?usage: e2e-train.sh STACK}
tries=${TRIES:-60}
wait=${WAIT:-20}
job=$(pulumi stack output trainingJob --stack "$stack" --json)
project=$(jq -r .project <<<"$job")
region=$(jq -r .region <<<"$job")
models=$(jq -r .modelsUri <<<"$job")

submitted=$(${TRAIN:-npm run -s train --} --stack "$stack")
echo "$submitted"
id=$(sed -nE 's/^status: +gcloud batch jobs describe ([^ ]+) .*/\1/p' <<<"$submitted")
if [ -z "$id" ]; then
  echo "::error title=e2e $stack::the train command printed no Batch job to follow"
  exit 1
fi

state=""
for ((i = 1; i <= tries; i++)); do
  state=$(gcloud batch jobs describe "$id" --location "$region" --project "$project" --format 'value(status.state)')
  case "$state" in
    SUCCEEDED) break ;;
    FAILED | DELETION_IN_PROGRESS) echo "::error title=e2e $stack::training job $id ended $state"; exit 1 ;;
  esac
  sleep "$wait"
done
if [ "$state" != SUCCEEDED ]; then
  echo "::error title=e2e $stack::training job $id is still $state after $tries checks"
  exit 1
fi

uid=$(gcloud batch jobs describe "$id" --location "$region" --project "$project" --format 'value(uid)')
lines=$(gcloud logging read "logName=\"projects/$project/logs/batch_task_logs\" AND labels.job_uid=\"$uid\"" --project "$project" --freshness 1d --limit 5 --format 'value(textPayload)')
if [ -z "$lines" ]; then
  echo "::error title=e2e $stack::training job $id wrote no log line to Cloud Logging"
  exit 1
fi
gcloud storage ls "${models}models/latest/" >/dev/null || { echo "::error title=e2e $stack::no model under ${models}models/latest/"; exit 1; }
echo "training job $id succeeded, logged, and left a model under ${models}models/latest/"
