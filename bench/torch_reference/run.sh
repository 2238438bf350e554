#!/usr/bin/env bash
# bench/torch_reference/run.sh [ARGS...]: runs `python -m bench.torch_reference ARGS` with PyTorch 2.13.
#
# On the host, outside ./dev: PyTorch 2.13's CPU wheel is for Python 3.11 (ARCFACE_TORCH_PYTHON,
# default python3.11), which the project's environment (Python 3.13, a chroot on older hosts)
# does not have. The venv is built once, beside ./dev's environments, and rebuilt if TORCH changes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TORCH=torch==2.13.0
PYTHON=${ARCFACE_TORCH_PYTHON:-python3.11}
VENV=${ARCFACE_ENV_CACHE:-/var/cache/arcface-tfx}/torch-reference

if [ "$(cat "$VENV/.ready" 2>/dev/null)" != "$TORCH" ]; then
  command -v "$PYTHON" >/dev/null || { echo "torch_reference: $PYTHON not found (PyTorch 2.13's CPU wheel needs Python 3.11; set ARCFACE_TORCH_PYTHON)" >&2; exit 1; }
  echo "torch_reference: creating $VENV with $TORCH (once; a minute or two)" >&2
  rm -rf "$VENV"
  { "$PYTHON" -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check "$TORCH" numpy; } \
    > "$VENV.log" 2>&1 || { tail -20 "$VENV.log" >&2; echo "torch_reference: installing $TORCH failed (log: $VENV.log)" >&2; exit 1; }
  rm -f "$VENV.log"
  echo "$TORCH" > "$VENV/.ready"
fi
cd "$ROOT" && PYTHONPATH="$ROOT" exec "$VENV/bin/python" -m bench.torch_reference "$@"
