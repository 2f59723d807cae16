#!/usr/bin/env bash
# Writes every hash lock from its requirements file with uv (never edit a lock by hand):
#   services/<image>/requirements.lock.txt       what that image installs (pip --require-hashes)
#   services/<image>/requirements-test.lock.txt  the image's pins plus the test tools: the virtual environment
#                                                .ci/run tests the image's code in, and what the images workflow
#                                                adds to the image to run its tests inside it
#   services/requirements-tools.lock.txt         uv itself
# For the images' Python (3.12) and platform (linux x86_64, glibc), wherever it runs. services/check_locks.py
# (run by .ci/run) fails when a requirements file and its lock, or two locks, disagree.
# Usage: services/lock.sh   (needs uv: pip install --require-hashes -r services/requirements-tools.lock.txt)
set -euo pipefail
cd "$(dirname "$0")"
UV="${UV:-uv}"
compile() {
  local out="$1"
  shift
  "$UV" pip compile --quiet --generate-hashes --no-strip-markers --python-version 3.12 \
    --python-platform x86_64-manylinux_2_28 --custom-compile-command "services/lock.sh" --output-file "$out" "$@"
}
for image in backend monitor trainer frontend guard; do
  compile "$image/requirements.lock.txt" "$image/requirements.txt"
  compile "$image/requirements-test.lock.txt" "$image/requirements.txt" requirements-test.txt
done
compile requirements-tools.lock.txt requirements-tools.txt
