#!/usr/bin/env bash
# bench/torch_reference/venv.sh: prints the path of the PyTorch 2.13 venv, building it first if needed.
#
# On the host, outside ./dev: PyTorch 2.13's CPU wheel is for Python 3.11 (ARCFACE_TORCH_PYTHON,
# default python3.11), which the project's environment (Python 3.13, a chroot on older hosts)
# does not have. The venv is built once, beside ./dev's environments (ARCFACE_TORCH_VENV, default
# $ARCFACE_ENV_CACHE/torch-reference), and rebuilt if its packages change. Quiet unless it builds
# or fails; the tests that compare with PyTorch find it through ARCFACE_TORCH_VENV (./dev shows it
# inside its root filesystem).
set -euo pipefail

# onnx: torch.onnx.export writes through it; the version the project locks.
PACKAGES="torch==2.13.0 numpy onnx==1.23.2"
PYTHON=${ARCFACE_TORCH_PYTHON:-python3.11}
VENV=${ARCFACE_TORCH_VENV:-${ARCFACE_ENV_CACHE:-/var/cache/arcface-tfx}/torch-reference}

if [ "$(cat "$VENV/.ready" 2>/dev/null)" != "$PACKAGES" ]; then
  command -v "$PYTHON" >/dev/null || { echo "torch_reference: $PYTHON not found (PyTorch 2.13's CPU wheel needs Python 3.11; set ARCFACE_TORCH_PYTHON)" >&2; exit 1; }
  echo "torch_reference: creating $VENV with $PACKAGES (once; a minute or two)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  # shellcheck disable=SC2086  # PACKAGES is a list of requirements
  { "$PYTHON" -m venv "$VENV" && "$VENV/bin/pip" install --quiet --disable-pip-version-check $PACKAGES; } \
    > "$VENV.log" 2>&1 || { tail -20 "$VENV.log" >&2; echo "torch_reference: installing $PACKAGES failed (log: $VENV.log)" >&2; exit 1; }
  rm -f "$VENV.log"
  echo "$PACKAGES" > "$VENV/.ready"
fi
echo "$VENV"
