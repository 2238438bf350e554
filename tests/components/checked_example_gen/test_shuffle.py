"""ExampleGen's global shuffle (components/checked_example_gen/shuffle.py) and the Trainer's batches after it.

The runner-independence of the written files is tested on the executor itself
(tests/pipeline/test_input_check.py); here, the order's definition and what it buys the Trainer.
"""

import random

import numpy as np
import pytest

from bench import batch_identities
from components.checked_example_gen import shuffle


def test_the_order_depends_on_the_records_and_the_seed_only():
    records = [f"record {i}".encode() for i in range(1000)]
    files = shuffle.shuffled_files(records, seed=3, num_files=4)
    arrived_otherwise = shuffle.shuffled_files(random.Random(0).sample(records, len(records)), seed=3, num_files=4)
    assert files == arrived_otherwise
    assert sorted(r for rs in files.values() for r in rs) == sorted(records)  # each record once
    assert shuffle.shuffled_files(records, seed=4, num_files=4) != files


def test_files_per_split_scale_with_the_records_and_leave_each_enough():
    assert [shuffle.files_for(n) for n in (0, 99, 250, 1_800, 100_000, 5_800_000)] == [1, 1, 2, 16, 16, 580]


@pytest.fixture(scope="module")
def identity_counts(tmp_path_factory):
    # MS1MV2's ~68 images per person, 20,400 records, batches of 128 (issue 28).
    return batch_identities.measure_orders(str(tmp_path_factory.mktemp("orders")), 300, 68, 128)


def test_the_trainers_batches_of_identity_ordered_input_hold_as_many_people_as_a_uniform_draw(identity_counts):
    counts, uniform = identity_counts
    before, after = np.mean(counts["before"]), np.mean(counts["after"])
    print(f"\ndistinct identities per batch of 128: before {before:.1f}, after {after:.1f}, uniform {uniform:.1f}")
    assert after >= batch_identities.TARGET_OF_UNIFORM * uniform
    assert before < 0.7 * uniform  # the measure sees the identity order the shuffle removes
