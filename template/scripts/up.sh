#!/usr/bin/env bash
# pulumi up of one stack as ci-deploy, after `pulumi preview --json` shows that nothing in the change needs
# an Owner (`mlops-gcp-stack needs-owner`); otherwise it stops with one line naming the command to run by
# hand. With --pause (the nightly pause) saving credits comes first: the removals go ahead anyway
# (`--continue-on-error`: only what needs an Owner fails), and the run still ends red so someone runs it.
# Both run with --refresh: what changed outside Pulumi is read first, so the Cloud Run services the credit guard
# deleted at its cap (docs/operations.md) are planned as creates, and come back once a person resumed.
# Runs in the Pulumi project's folder (STACK_DIR), where npm ci installed the package.
set -euo pipefail
stack=${1:?usage: up.sh STACK [--pause]}
mode=${2:-}
preview="${RUNNER_TEMP:-/tmp}/preview-$stack.json"
pulumi preview --stack "$stack" --refresh --json --non-interactive > "$preview"
if npx --no-install mlops-gcp-stack needs-owner --stack "$stack" "$preview"; then
  pulumi up --stack "$stack" --refresh --yes --non-interactive --color never
elif [ "$mode" = --pause ]; then
  echo "::warning title=$stack::pausing anyway: everything that costs money is removed; what needs an Owner waits for them"
  pulumi up --stack "$stack" --refresh --yes --non-interactive --color never --continue-on-error || true
  exit 1
else
  exit 1
fi
