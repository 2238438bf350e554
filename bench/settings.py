"""Sizes and repeat counts: the full run (`python -m bench`) and the smoke run (`--smoke`).

The full run takes about 85 minutes on 2 quiet CPU cores (62 before the peer rows, whose r50
steps add about 20; half of the rest is the trainer), plus batch_identities, partial_fc_step and
input_sharding: about 13 minutes measured under a load average of 8-15 (2026-12-07), most of it
partial_fc_step's full softmax at 1e6 classes (about 50 s a step); the smoke run only checks that every
benchmark runs and reports, on tiny sizes with one repeat. `make bench` runs PyTorch's reference
first (bench/torch_reference, with trainer_peers' backbones, batch sizes, warm-up and repeats):
about 10 minutes more on quiet cores (7 steps a row; an estimate from the rates arcface_torch's
own code reached on this machine, quiet, 2026-12-06: mbf 17.9, r50 2.8 images/s at batch 64).
"""

from arcface_module.catalog import FACE_SIZE

# The transformed faces the trainer and input-pipeline benchmarks share.
_TRAINING_DATA = {"identities": 100, "images_per_identity": 20, "source_image_size": 48,
                  "image_size": FACE_SIZE}

FULL = {
    "trainer": {
        "data": _TRAINING_DATA,
        # Whole steps, and r50 at batch 128 takes about 100 s a step on 2 cores: 31 minutes on a
        # quiet machine, much longer on shared cores.
        "batch_sizes": {"mbf": [64, 128], "r50": [64, 128]},
        "embedding_size": 512,
        "repeats": 2,  # timed steps per loop, after its first: few, but whole steps
    },
    # r50 at batch 128: about 100 s a step on 2 quiet cores, 4 x 8 steps in all.
    "trainer_peers": {"data": _TRAINING_DATA, "batch_sizes": {"mbf": [64, 128], "r50": [64, 128]},
                      "embedding_size": 512, "warmup": 2, "repeats": 5},
    "input_pipeline": {"data": _TRAINING_DATA, "batch_sizes": [64, 128], "batches": 30, "repeats": 5},
    # MS1MV2's ~68 images per person, at least 20,000 records (issue 28).
    "batch_identities": {"identities": 300, "images_per_identity": 68, "batch_size": 128},
    "input_sharding": {"data": _TRAINING_DATA, "files": 8, "batch_size": 128, "batches": 10, "repeats": 3},
    # At the demo's image size (configs/local.yaml): 112 would write 3x the bytes, over budget.
    "transform": {"sizes": [5000, 10000, 20000], "source_image_size": 32, "image_size": 64,
                  "repeats": 3},
    "evaluation": {"pairs": [10_000, 100_000, 1_000_000], "repeats": 5},
    # 10,000 templates: 203,000 faces, 6.8 million pairs, about 2 GB of embeddings (IJB-C whole: 4.5 GB).
    "ijb": {"templates": [1000, 10_000], "repeats": 3},
    # 100k faces: 5e9 pairs, about a minute and a half of BLAS on 2 cores; one call a size.
    "all_vs_all": {"faces": [10_000, 100_000], "dim": 512, "per_identity": 10, "repeats": 1, "replicates": 200},
    "margin_head": {"classes": [1000, 10_000, 100_000, 1_000_000], "rates": [1.0, 0.3, 0.1],
                    "batch_size": 128, "dim": 512, "steps": 3},
    # Glint360K's 360k identities and 1e6; the tiny backbone on 64x64 images, so the head's share shows.
    "partial_fc_step": {"backbone": "tiny", "image_size": 64, "classes": [360_000, 1_000_000], "rates": [1.0, 0.1],
                        "batch_size": 128, "dim": 512, "steps": 3},
    "end_to_end": {"repeats": 2, "overrides": {}},
    "serving": {"repeats": 5, "latency_calls": 50, "overrides": {}},
    "startup": {"repeats": 3, "warmup": 1},
    # The demo's model, as for end_to_end: run alone, it runs the demo first (2.5 minutes quiet).
    "face_alignment": {"sizes": [[250, 250], [1024, 768]], "photos": 20, "repeats": 3, "compare_images": 20,
                       "test_photos": 120, "cosine_people": 40, "demo_overrides": {}},
    # 200,000 small faces through every stage before training (once each: minutes per stage).
    "scale": {"identities": 20_000, "images_per_identity": 10, "source_image_size": 32, "image_size": 32},
    # A random-weight r100 from PyTorch, imported from .pth and ONNX.
    "pretrained_import": {"backbone": "r100", "repeats": 2},
    # The demo's faces and schedules (configs/local.yaml, configs/fine-tune.yaml), split by person.
    "warm_start": {"base_people": 120, "new_people": 80, "eval_every": 100},
    # Building 1M templates' graph takes about 30 minutes on 2 quiet cores; the look-alike worst case
    # is measured at 100k (at 1M it would take as long again).
    "gallery": {"sizes": [10_000, 100_000, 1_000_000], "look_alike_sizes": [100_000], "dimensions": 512,
                "probes": 1000},
}

_TINY_DATA = {"identities": 8, "images_per_identity": 8, "source_image_size": 32, "image_size": 32}

SMOKE = {
    "trainer": {"data": _TINY_DATA, "batch_sizes": {"tiny": [8]}, "embedding_size": 16, "repeats": 1},
    "trainer_peers": {"data": _TINY_DATA, "batch_sizes": {"tiny": [8]}, "embedding_size": 16,
                      "warmup": 0, "repeats": 1},
    "input_pipeline": {"data": _TINY_DATA, "batch_sizes": [8], "batches": 2, "repeats": 1},
    "batch_identities": {"identities": 20, "images_per_identity": 10, "batch_size": 16},
    "input_sharding": {"data": _TINY_DATA, "files": 2, "batch_size": 8, "batches": 2, "repeats": 1},
    "transform": {"sizes": [40, 80], "source_image_size": 16, "image_size": 16, "repeats": 1},
    "evaluation": {"pairs": [1000], "repeats": 1},
    "ijb": {"templates": [200], "repeats": 1},
    "all_vs_all": {"faces": [300], "dim": 16, "per_identity": 5, "repeats": 1, "replicates": 20},
    "margin_head": {"classes": [100], "rates": [1.0, 0.1], "batch_size": 8, "dim": 16, "steps": 1},
    "partial_fc_step": {"backbone": "tiny", "image_size": 32, "classes": [100], "rates": [1.0, 0.1], "batch_size": 8,
                        "dim": 16, "steps": 1},
    "scale": {"identities": 20, "images_per_identity": 4, "source_image_size": 16, "image_size": 16},
    "gallery": {"sizes": [1000, 20_000], "look_alike_sizes": [1000], "dimensions": 32, "probes": 20},
    "end_to_end": {
        "repeats": 1,
        "overrides": {
            "data": {"synthetic": {"num_identities": 16, "images_per_identity": 4, "image_size": 16}},
            "transform": {"image_size": 16},
            "trainer": {"embedding_size": 8, "batch_size": 8, "train_steps": 2, "warmup_steps": 0},
            # 16 identities hold too few different-person pairs to resolve a FAR of 1e-3.
            "evaluator": {"min_verification_accuracy": 0.0,
                          "operating_point": {"criterion": "best_accuracy"}},
        },
    },
    "startup": {"repeats": 1, "warmup": 0},  # 6 processes of a few seconds each
    "face_alignment": {"sizes": [[250, 250], [1024, 768]], "photos": 2, "repeats": 1, "compare_images": 2,
                       "test_photos": 2, "cosine_people": 2,
                       "demo_overrides": {"trainer": {"train_steps": 2, "warmup_steps": 0},
                                          "evaluator": {"min_verification_accuracy": 0.0}}},
}
# The end-to-end smoke run's demo, reused (bench/serving.py) rather than run again.
SMOKE["pretrained_import"] = {"backbone": "mbf", "repeats": 1}
SMOKE["warm_start"] = {
    "data": {"identities": 12, "images_per_identity": 4, "source_image_size": 32, "image_size": 32},
    "base_people": 4, "new_people": 4, "eval_every": 2,
    "trainer_overrides": {"cold": {"train_steps": 4, "warmup_steps": 0},
                          "warm": {"train_steps": 3, "warmup_steps": 0, "warm_start": {"freeze_backbone_steps": 1}}},
}
SMOKE["serving"] = {"repeats": 1, "latency_calls": 2, "overrides": SMOKE["end_to_end"]["overrides"]}
