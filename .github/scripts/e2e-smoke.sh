#!/usr/bin/env bash
# Smoke test of a deployed stack: waits until every service answers, public ones with a plain GET and the
# private ones (named in PRIVATE, space-separated) with a Google ID token whose audience is the service URL;
# a private service must also refuse a call without a token. TRIES and WAIT set the patience (default 30 × 10 s).
set -euo pipefail
stack=${1:?usage: e2e-smoke.sh STACK}
tries=${TRIES:-30}
wait=${WAIT:-10}
urls=$(pulumi stack output serviceUrls --stack "$stack" --json | jq -r 'to_entries[] | "\(.key) \(.value)"')
if [ -z "$urls" ]; then
  echo "::error title=e2e $stack::the stack exports no service URL"
  exit 1
fi

# GETs a URL until it answers 2xx, or fails after $tries attempts.
answer() {
  local url=$1
  shift
  for ((i = 1; i <= tries; i++)); do
    if curl -fsS -o /dev/null --max-time 20 "$@" "$url"; then return 0; fi
    sleep "$wait"
  done
  echo "::error title=e2e $stack::$url did not answer after $tries tries"
  return 1
}

while read -r name url; do
  if [[ " ${PRIVATE:-} " == *" $name "* ]]; then
    token=$(gcloud auth print-identity-token --audiences="$url")
    answer "$url" -H "Authorization: Bearer $token"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$url")
    if [ "$code" != 401 ] && [ "$code" != 403 ]; then
      echo "::error title=e2e $stack::private service $name answered $code without a token"
      exit 1
    fi
    echo "ok: $name (private) $url"
  else
    answer "$url"
    echo "ok: $name (public) $url"
  fi
done <<< "$urls"
