#!/usr/bin/env bash
# Writes every hash lock from its requirements file with uv (never edit a lock by hand):
#   services/<image>/requirements.lock.txt  what that image installs (pip --require-hashes)
#   services/requirements-ci.lock.txt       CI's one virtual environment: all images' pins + test tools
# For the images' Python (3.12) and platform (linux x86_64, glibc), wherever it runs.
# Usage: services/lock.sh   (needs uv: pip install -r services/requirements-tools.lock.txt --require-hashes)
set -euo pipefail
cd "$(dirname "$0")"
UV="${UV:-uv}"
compile() {
  "$UV" pip compile --quiet --generate-hashes --no-strip-markers --python-version 3.12 \
    --python-platform x86_64-manylinux_2_28 --custom-compile-command "services/lock.sh" --output-file "$2" "$1"
}
for image in backend monitor trainer frontend; do
  compile "$image/requirements.txt" "$image/requirements.lock.txt"
done
compile requirements-ci.txt requirements-ci.lock.txt
compile requirements-tools.txt requirements-tools.lock.txt
