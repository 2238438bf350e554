#!/usr/bin/env bash
# bench/torch_reference/run.sh [ARGS...]: runs `python -m bench.torch_reference ARGS` with PyTorch 2.13,
# on the host, outside ./dev, in the venv bench/torch_reference/venv.sh builds (Python 3.11).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$("$ROOT/bench/torch_reference/venv.sh")
cd "$ROOT" && PYTHONPATH="$ROOT" exec "$VENV/bin/python" -m bench.torch_reference "$@"
