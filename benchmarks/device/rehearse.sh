#!/usr/bin/env bash
# Rehearse benchmarks/device/run.sh on a CPU machine, as it will run on the GPU machine:
#   bash benchmarks/device/rehearse.sh        (from the project root; ~5 min, needs the network)
# 1. an "image" venv: torch (the CPU build) plus the packages the GPU image already holds
#    (those of the project's run-time dependencies listed in image_packages.txt, at this
#    project's versions);
# 2. the wheels `make device-wheels` would carry, for this Python (3.11 here, 3.12 there);
# 3. run.sh with that venv's python, those wheels and ENV=test: the same install
#    (`--target`, PYTHONPATH) and the same GPU check, on the tiny configuration.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-$(mktemp -d -t lmforge-rehearsal.XXXXXX)}
HOST=${HOST_PYTHON:-python3}
VERSION=$("$HOST" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
"$HOST" -m venv "$WORK/image"
IMAGE_PINS=$(.venv/bin/python benchmarks/device/wheels.py --image-pins)
"$WORK/image/bin/python" -m pip install -q -c constraints.txt torch==2.13.0 $IMAGE_PINS
.venv/bin/python benchmarks/device/wheels.py --python-version "$VERSION" --dest "$WORK/whl"
PYTHON="$WORK/image/bin/python" WHEELS="$WORK/whl" SITE="$WORK/site" ENV=test \
  bash benchmarks/device/run.sh "$WORK/out"
echo "rehearsal passed: $WORK/out"
