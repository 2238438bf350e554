"""Scale-out training takes the steps one device takes: MirroredStrategy over two logical CPUs, and
MultiWorkerMirroredStrategy over two worker processes on 127.0.0.1 (TF_CONFIG, as Vertex AI and
Kubeflow start them), each log the single-device run's losses within RTOL.

The global batch is split over the replicas and the loss averaged over the global batch, so the
learning rate needs no scaling: a loss summed per replica (a doubled step) would be off from the
second step on.
"""

import glob
import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.tfx_module.trainer_fixtures import STEPS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train_worker.py")
# Float sums in another order (replicas, all-reduce) differ from one device's by ~3e-5 after six steps.
RTOL = 2e-4
STEP_LINE = re.compile(r"step (\d+)/\d+: .*\bloss (\S+)")


def logged_losses(lines):
    """The loss of every step in `run_fn`'s progress lines, in step order."""
    losses = {int(m[1]): float(m[2].rstrip(",")) for m in map(STEP_LINE.search, lines) if m}
    assert sorted(losses) == list(range(1, STEPS + 1)), lines
    return np.array([losses[step] for step in sorted(losses)])


def start_worker(data, root, distribution, logical_cpus=1, tf_config=None):
    env = dict(os.environ, **({"TF_CONFIG": json.dumps(tf_config)} if tf_config else {}))
    command = [sys.executable, WORKER, os.path.dirname(data.transform_graph), str(root),
               json.dumps({"train_steps": STEPS, "distribution": distribution}), f"--logical-cpus={logical_cpus}"]
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process):
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, f"worker failed ({process.returncode}):\n{output[-6000:]}"
    return output.splitlines()


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def distributed_runs(transformed_faces, tmp_path_factory):
    """The mirrored run and the two workers, started together: {name: (run root, log lines)}."""
    roots = {name: tmp_path_factory.mktemp(name) for name in ("mirrored", "multi_worker")}
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = {
        "mirrored": start_worker(
            transformed_faces, roots["mirrored"], {"strategy": "mirrored", "devices": ["/cpu:0", "/cpu:1"]}, 2
        ),
        **{
            f"worker {index}": start_worker(
                transformed_faces, roots["multi_worker"], {"strategy": "multi_worker_mirrored"},
                tf_config={"cluster": cluster, "task": {"type": "worker", "index": index}},
            )
            for index in range(2)
        },
    }
    runs = {name: finish(process) for name, process in processes.items()}
    return roots, runs


def test_mirrored_strategy_over_two_cpus_matches_one_device(trained, distributed_runs):
    _, reference_lines = trained
    roots, runs = distributed_runs
    reference, mirrored = logged_losses(reference_lines), logged_losses(runs["mirrored"])
    print(f"\none device: {np.round(reference, 5)}\nmirrored:   {np.round(mirrored, 5)}")
    assert any("2 replica(s)" in line for line in runs["mirrored"])
    np.testing.assert_allclose(mirrored, reference, rtol=RTOL)
    assert glob.glob(os.path.join(roots["mirrored"], "Trainer", "model", "*", "Format-Serving", "saved_model.pb"))


def test_two_worker_processes_match_one_device_and_only_the_chief_writes(trained, distributed_runs):
    _, reference_lines = trained
    roots, runs = distributed_runs
    reference = logged_losses(reference_lines)
    for name in ("worker 0", "worker 1"):
        losses = logged_losses(runs[name])
        print(f"\n{name}:   {np.round(losses, 5)}")
        np.testing.assert_allclose(losses, reference, rtol=RTOL)
    root = roots["multi_worker"]
    assert len(glob.glob(os.path.join(root, "Trainer", "model", "*", "Format-Serving", "saved_model.pb"))) == 1
    # One checkpoint folder, numbered by step: the chief's; the other worker's copies were scratch.
    checkpoints = glob.glob(os.path.join(root, "Trainer", "checkpoints", "*", "ckpt-*.index"))
    assert sorted(os.path.basename(path) for path in checkpoints) == ["ckpt-3.index", "ckpt-6.index"]
