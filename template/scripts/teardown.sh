#!/usr/bin/env bash
# The hand-run teardown of one stack: deletes its data and everything CI manages, never identities,
# federation or team grants (an Owner removes those with `pulumi destroy` on a laptop). It runs only when
# CONFIRM reads exactly "delete STACK and its data", and only once protectData is off
# (`mlops-gcp-stack teardown-targets`). Runs in the Pulumi project's folder (STACK_DIR).
set -euo pipefail
stack=${1:?usage: teardown.sh STACK}
expected="delete $stack and its data"
if [ "${CONFIRM:-}" != "$expected" ]; then
  echo "::error title=teardown of $stack not confirmed::type exactly: $expected"
  exit 1
fi
exported="${RUNNER_TEMP:-/tmp}/export-$stack.json"
pulumi stack export --stack "$stack" > "$exported"
list="${RUNNER_TEMP:-/tmp}/targets-$stack"
if ! npx --no-install mlops-gcp-stack teardown-targets --stack "$stack" "$exported" > "$list"; then
  cat "$list"
  exit 1
fi
# Without a --target, pulumi destroy would remove everything: an empty list ends here.
if [ ! -s "$list" ]; then
  echo "$stack: nothing left to tear down"
  exit 0
fi
args=()
while IFS= read -r urn; do args+=("--target=$urn"); done < "$list"
pulumi destroy --stack "$stack" --yes --non-interactive --color never --target-dependents "${args[@]}"
