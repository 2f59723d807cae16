#!/usr/bin/env bash
# pulumi up of one stack as ci-deploy, after `pulumi preview --json` shows that nothing in the change needs
# an Owner (tools/needs-owner.ts); otherwise it stops with one line naming the command to run by hand.
set -euo pipefail
stack=${1:?usage: up.sh STACK}
preview="${RUNNER_TEMP:-/tmp}/preview-$stack.json"
pulumi preview --stack "$stack" --json --non-interactive > "$preview"
node_modules/.bin/tsx tools/needs-owner.ts --stack "$stack" "$preview"
pulumi up --stack "$stack" --yes --non-interactive --color never
