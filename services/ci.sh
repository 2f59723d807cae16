#!/usr/bin/env bash
# The sample services' CI, started by .ci/run beside the Node checks (it waits on downloads and the emulator's
# build, so the two share the machine's cores instead of queueing).
set -euo pipefail
cd "$(dirname "$0")/.."

# The sample services' tests on exactly the versions their images pin: one virtual environment per image from
# its test lock (services/<image>/requirements-test.lock.txt = the image's lock + test tools, hashes required),
# Python 3.12 like the images. uv (itself installed from a hash lock) builds them from one shared cache.
# (pyenv's python3.12 shim on PATH refuses to run while 3.11 is global, so look for the interpreter itself.)
python3 services/check_locks.py
PY=""
for candidate in /root/.pyenv/versions/3.12*/bin/python3.12; do
  if [ -x "$candidate" ]; then PY="$candidate"; fi
done
if [ -z "$PY" ]; then PY="$(command -v python3.12 || true)"; fi
if [ -z "$PY" ]; then echo "services: no Python 3.12 interpreter (the images run 3.12)" >&2; exit 1; fi
SVC="${TMPDIR:-/tmp}/mlops-services"
ROOT="$PWD"
rm -rf "$SVC"
mkdir -p "$SVC"
# The GCS emulator for services/tests/ (github.com/fsouza/fake-gcs-server from the Go module proxy, checked
# against go.sum's database), built while the environments install, at most 10 minutes; reused while its
# version is the pinned one.
FAKE_GCS_VERSION=v1.56.1
GO="$(command -v go || echo /usr/local/go/bin/go)"
TOOLS_BIN="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-services/bin"
export FAKE_GCS_SERVER="$TOOLS_BIN/fake-gcs-server" REQUIRE_GCS_EMULATOR=1
# The emulator's build and the schemathesis server run in the background; the exit trap ends whichever still runs.
BUILD_PID="" ST_SERVER=""
trap 'kill $BUILD_PID $ST_SERVER 2>/dev/null || true' EXIT
if ! "$GO" version -m "$FAKE_GCS_SERVER" 2>/dev/null | grep -q "mod[[:space:]]*github.com/fsouza/fake-gcs-server[[:space:]]*$FAKE_GCS_VERSION"; then
  GOBIN="$TOOLS_BIN" timeout 600 "$GO" install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION" >"$SVC/fake-gcs-build.log" 2>&1 &
  BUILD_PID=$!
fi
"$PY" -m venv "$SVC/tools"
"$SVC/tools/bin/pip" install -q --no-cache-dir --disable-pip-version-check --require-hashes \
  -r services/requirements-tools.lock.txt
export UV_CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-services/uv"  # kept between runs; hashes checked
for image in backend monitor trainer frontend guard; do
  "$SVC/tools/bin/uv" venv -q --python "$PY" "$SVC/$image"
  "$SVC/tools/bin/uv" pip sync -q --require-hashes --python "$SVC/$image/bin/python" \
    "services/$image/requirements-test.lock.txt"
done
# Each image's tests in its own environment, first those that need no emulator (while it builds on a fresh
# machine, about 2 CPU-minutes); then the guard's (its record goes to the emulator) and services/tests/ (lock
# check, the emulator and end-to-end tests) in the backend's, which pins every package of the monitor and
# trainer images at their versions.
for image in monitor trainer frontend; do
  "$SVC/$image/bin/python" -m pytest -q -p no:cacheprovider "services/$image/tests"
done
# The backend's contract checked by a peer tool: schemathesis generates bodies from its OpenAPI document and
# fuzzes a real uvicorn on loopback (bounded: services/tests/schemathesis.toml, one seed): no 5xx, and every
# invalid body refused with 422 (413 over MAX_BODY_BYTES, 415 when not JSON).
ST_PORT="$("$SVC/backend/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$SVC/backend/bin/python" services/tests/contract_server.py "$ST_PORT" >"$SVC/contract-server.log" 2>&1 &
ST_SERVER=$!
"$SVC/backend/bin/python" - "$ST_PORT" <<'PYEOF'
import sys, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/ready", timeout=1)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("services: the backend for schemathesis did not get ready in 30 s")
PYEOF
(cd "$SVC" && timeout 300 "$SVC/backend/bin/st" --config-file "$ROOT/services/tests/schemathesis.toml" run \
  "http://127.0.0.1:$ST_PORT/openapi.json" --checks all --seed 1 --workers 2 --no-color \
  --generation-database none --report-dir "$SVC/schemathesis-report")
kill "$ST_SERVER"
wait "$ST_SERVER" 2>/dev/null || true
ST_SERVER=""
if [ -n "$BUILD_PID" ]; then
  wait "$BUILD_PID" || { tail -20 "$SVC/fake-gcs-build.log"; echo "services: building fake-gcs-server failed" >&2; exit 1; }
  BUILD_PID=""
fi
"$SVC/backend/bin/python" -m pytest -q -p no:cacheprovider services/backend/tests services/tests
"$SVC/guard/bin/python" -m pytest -q -p no:cacheprovider services/guard/tests
