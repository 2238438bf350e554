"""Each worker reads only its share of the training input: the split's files, dealt out by file.

Every training example is read exactly once per epoch across the workers, none twice, with
MultiWorkerMirroredStrategy over two worker processes on 127.0.0.1 (TF_CONFIG, as Vertex AI and
Kubeflow start them) on 4 files, and in-process (tf.distribute.InputContext) on 4 files and on 1 file,
where each worker reads every file and keeps its half of each global batch.
"""

import json
import os
import subprocess
import sys

import pytest
import tensorflow as tf

from bench.input_sharding import rewrite
from tfx_module.trainer.inputs import worker_files
from tests.tfx_module.read_worker import image_key, reader
from tests.tfx_module.test_trainer_distribution import free_ports

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKER = os.path.join(REPO, "tests", "tfx_module", "read_worker.py")
GLOBAL_BATCH = 8


@pytest.fixture(scope="module")
def training_split(transformed_faces, tmp_path_factory):
    """(records, every image's key) of the transformed training split."""
    records = list(tf.data.TFRecordDataset(tf.io.gfile.glob(transformed_faces.files("train")), "GZIP").as_numpy_iterator())
    whole = reader(transformed_faces.files("train"), transformed_faces.transform_graph, len(records))(None)
    images, _ = next(iter(whole))  # one batch of the whole split: each record once
    return records, [image_key(image) for image in images.numpy()]


def assert_read_once_each(keys_by_worker, all_keys):
    per_epoch = len(all_keys) // len(keys_by_worker)
    epochs = [keys[:per_epoch] for keys in keys_by_worker]
    assert sorted(key for epoch in epochs for key in epoch) == sorted(all_keys)


@pytest.mark.parametrize("files", [4, 1])
def test_two_workers_read_every_example_once_per_epoch(files, training_split, transformed_faces, tmp_path):
    records, all_keys = training_split
    pattern = rewrite(records, str(tmp_path / "split"), files)
    steps = len(records) // GLOBAL_BATCH
    keys = []
    for worker in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=worker, num_replicas_in_sync=2)
        batches = iter(reader(pattern, transformed_faces.transform_graph, GLOBAL_BATCH)(context))
        keys.append([image_key(image) for _ in range(steps) for image in next(batches)[0].numpy()])
    assert_read_once_each(keys, all_keys)


def test_fewer_files_than_workers_leaves_every_worker_every_file():
    context = tf.distribute.InputContext(num_input_pipelines=4, input_pipeline_id=3, num_replicas_in_sync=4)
    assert worker_files(["a", "b", "c"], context) is None
    assert worker_files(["a", "b", "c", "d", "e"], context) == ["d"]


def test_two_worker_processes_each_read_their_files_and_every_example_once(training_split, transformed_faces, tmp_path):
    records, all_keys = training_split
    pattern = rewrite(records, str(tmp_path / "split"), 4)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    processes = [
        subprocess.Popen(
            [sys.executable, WORKER, pattern, transformed_faces.transform_graph, str(GLOBAL_BATCH),
             str(2 * len(records) // GLOBAL_BATCH)],  # two epochs
            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})))
        for index in range(2)
    ]
    results = []
    for process in processes:
        output, errors = process.communicate(timeout=600)
        assert process.returncode == 0, errors[-5000:]
        results.append(json.loads(output.strip().splitlines()[-1]))
    keys = [result["keys"] for result in sorted(results, key=lambda result: result["worker"])]
    # Over two epochs: a worker that read every file would take the other's examples in the second.
    assert not set(keys[0]) & set(keys[1])
    assert_read_once_each(keys, all_keys)
