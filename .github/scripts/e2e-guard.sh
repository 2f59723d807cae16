#!/usr/bin/env bash
# The credit guard of the e2e stack, end to end: starts a training run, publishes a budget notification over the
# cap to the stack's topic as Cloud Billing would (its documented attributes and JSON), then waits until the run's
# Batch job is deleted, every service of the stack answers 404 and the trip is recorded in the models bucket.
# Prints TRIP=<trip id> (also into $GITHUB_ENV when set). TRIES and WAIT set the patience (default 40 × 15 s);
# TRAIN is the train command (default `npm run -s train --`).
set -euo pipefail
stack=${1:?usage: e2e-guard.sh STACK}
tries=${TRIES:-40}
wait=${WAIT:-15}
guard=$(pulumi stack output creditGuard --stack "$stack" --json)
topic=$(jq -r .topic <<<"$guard")
budget=$(jq -r .budget <<<"$guard")
billing=${budget#billingAccounts/}
billing=${billing%%/*}
job=$(pulumi stack output trainingJob --stack "$stack" --json)
project=$(jq -r .project <<<"$job")
region=$(jq -r .region <<<"$job")
models=$(jq -r .modelsUri <<<"$job")
urls=$(pulumi stack output serviceUrls --stack "$stack" --json | jq -r '.[]')
amount=$(pulumi config get --path mlops:budget.amount --stack "$stack")
stop_at=$(pulumi config get --path mlops:budget.stopAt --stack "$stack")
currency=$(pulumi config get --path mlops:budget.currency --stack "$stack" 2>/dev/null || echo USD)

submitted=$(${TRAIN:-npm run -s train --} --stack "$stack")
id=$(sed -nE 's/^status: +gcloud batch jobs describe ([^ ]+) .*/\1/p' <<<"$submitted")
[ -n "$id" ] || { echo "::error title=e2e $stack::the train command printed no Batch job to follow"; exit 1; }

# Twice the amount, in this month's budget period: over any cap up to 200 %.
period=$(date -u +%Y-%m-01)
data=$(jq -cn --argjson amount "$amount" --arg start "${period}T08:00:00Z" --arg currency "$currency" \
  '{budgetDisplayName: "e2e", alertThresholdExceeded: 1.0, costAmount: ($amount * 2), costIntervalStart: $start, budgetAmount: $amount, budgetAmountType: "SPECIFIED_AMOUNT", currencyCode: $currency}')
gcloud pubsub topics publish "$topic" --project "$project" \
  --attribute="billingAccountId=$billing,budgetId=${budget##*/},schemaVersion=1.0" --message="$data"

stopped() {
  local state code url
  state=$(gcloud batch jobs describe "$id" --location "$region" --project "$project" --format 'value(status.state)' 2>/dev/null || echo DELETED)
  [ "$state" = DELETED ] || [ "$state" = DELETION_IN_PROGRESS ] || return 1
  for url in $urls; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$url/" || true)
    [ "$code" = 404 ] || return 1
  done
}
for ((i = 1; i <= tries; i++)); do
  if stopped; then break; fi
  if [ "$i" = "$tries" ]; then
    echo "::error title=e2e $stack::after $tries checks the job $id or a service of the stack still runs"
    exit 1
  fi
  sleep "$wait"
done

trip="$period-$(jq -n --argjson a "$amount" --argjson s "$stop_at" '$a * $s * 100 | round')"
gcloud storage ls "${models}credit-guard/trips/$trip.json" >/dev/null || { echo "::error title=e2e $stack::no record ${models}credit-guard/trips/$trip.json"; exit 1; }
echo "the credit guard deleted job $id and the services, and recorded trip $trip"
echo "TRIP=$trip"
if [ -n "${GITHUB_ENV:-}" ]; then echo "TRIP=$trip" >> "$GITHUB_ENV"; fi
