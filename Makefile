# One entry point. Every target runs inside the project's environment through ./dev, which builds
# that environment on first use (docs/environment.md).
.PHONY: demo test bench torch-venv lock shell clean clean-env

# Real faces for tests: the ORL set beside the checkout (never copied into it).
export ARCFACE_ORL_DIR ?= $(abspath ../shared/faces/orl)
CONFIG ?= configs/local.yaml
PYTEST_ARGS ?=

demo:  ## train, evaluate and push a model on the built-in synthetic faces
	./dev python -m runners.local_runner --config $(CONFIG)

# The margin heads, losses and models are backend-agnostic Keras 3: they are checked under JAX as well.
JAX_TESTS = $(addprefix tests/arcface_module/,test_arcface_layer.py test_margin_head.py test_margin_loss.py test_margins.py test_models.py)

# PyTorch 2.13 in its own Python 3.11 venv, outside ./dev: the import tests compare with it and
# bench/torch_reference measures it. ./dev finds it (and shows it inside) through this variable.
export ARCFACE_TORCH_VENV ?= $(or $(ARCFACE_ENV_CACHE),/var/cache/arcface-tfx)/torch-reference

torch-venv:  ## the PyTorch venv the import tests and the benchmarks use (once; a minute or two)
	@bench/torch_reference/venv.sh > /dev/null

test: torch-venv  ## the whole test suite, then the heads and losses again under KERAS_BACKEND=jax
	./dev python -m pytest $(PYTEST_ARGS)
	KERAS_BACKEND=jax ./dev python -m pytest -p no:cacheprovider $(JAX_TESTS)

# First PyTorch's reference train steps (bench/torch_reference: its own Python 3.11 venv, outside
# ./dev), which the trainer_peers benchmark compares with.
bench: torch-venv  ## measure every stage (minutes; writes bench/results.json and bench/results.md)
	bench/torch_reference/run.sh
	./dev python -m bench

lock:  ## re-pin requirements.lock from pyproject.toml (fresh resolution, Python 3.13)
	./dev bash -euo pipefail -c 'rm -rf /tmp/arcface-lock && python3 -m venv /tmp/arcface-lock \
	  && /tmp/arcface-lock/bin/pip install -q ".[test]" \
	  && { sed -n "1,2p" requirements.lock; /tmp/arcface-lock/bin/pip freeze --all --exclude pip --exclude arcface-tfx; } > requirements.lock.new \
	  && mv requirements.lock.new requirements.lock && rm -rf /tmp/arcface-lock'

shell:  ## a shell inside the environment
	./dev bash

clean:  ## remove pipeline runs
	rm -rf runs

clean-env:  ## remove the environment (rebuilt on next use)
	rm -rf .venv $${ARCFACE_ENV_CACHE:-/var/cache/arcface-tfx}
