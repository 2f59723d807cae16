#!/usr/bin/env bash
# pulumi up of one stack as ci-deploy, after `pulumi preview --json` shows that nothing in the change needs
# an Owner (`mlops-gcp-stack needs-owner`); otherwise it stops with one line naming the command to run by
# hand. Runs in the Pulumi project's folder (STACK_DIR), where npm ci installed the package.
set -euo pipefail
stack=${1:?usage: up.sh STACK}
preview="${RUNNER_TEMP:-/tmp}/preview-$stack.json"
pulumi preview --stack "$stack" --json --non-interactive > "$preview"
npx --no-install mlops-gcp-stack needs-owner --stack "$stack" "$preview"
pulumi up --stack "$stack" --yes --non-interactive --color never
