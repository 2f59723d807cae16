#!/usr/bin/env bash
# Removes the throwaway stack for good, protected data included: unprotect (protectData false, paused so
# nothing costly comes back), destroy, forget the stack. Runs last in the end-to-end workflow, also when an earlier step failed.
set -euo pipefail
stack=${1:?usage: e2e-cleanup.sh STACK}
pulumi config set mlops:protectData false --stack "$stack"
pulumi config set mlops:paused true --stack "$stack"
pulumi up --stack "$stack" --yes --non-interactive --color never
pulumi destroy --stack "$stack" --yes --non-interactive --color never
pulumi stack rm "$stack" --yes --non-interactive
