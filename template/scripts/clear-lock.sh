#!/usr/bin/env bash
# Removes a stale lock that a cancelled or timed-out run left on a stack. Only safe when no update of the
# stack is running anywhere: the workflows share one concurrency group per stack, but a laptop does not.
set -euo pipefail
stack=${1:?usage: clear-lock.sh STACK}
backend=${PULUMI_BACKEND_URL:?PULUMI_BACKEND_URL is not set}
case "$backend" in
  gs://*)
    # The self-managed backend keeps one lock object per update under .pulumi/locks/<org>/<project>/<stack>/.
    lock="${backend%/}/.pulumi/locks/organization/mlops/$stack/*.json"
    if gcloud storage ls "$lock" >/dev/null 2>&1; then
      gcloud storage rm "$lock"
      echo "removed the lock of $stack: $lock"
    else
      echo "no lock on $stack"
    fi
    ;;
  *)
    # Pulumi Cloud: cancel the update in progress, which releases its lock.
    pulumi cancel --stack "$stack" --yes
    ;;
esac
