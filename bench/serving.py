"""Serving: `python -m serving compare` with each format of the demo's pushed version.

Cold start is the wall time of `python -m serving compare A B --model VERSION --runtime R` in a
new process (imports, loading the model, two images, the decision), as a user runs it. Per-image
latency is `PushedModel(VERSION, R).embed([image])` in one process, after a warm-up call. The
accuracy and cosine columns are what the Pusher measured on the demo's eval pairs and probe faces
(verification.json). The version is the end-to-end benchmark's first demo when this run made one,
else a demo run here.
"""

import json
import os
import subprocess
import sys
import time

from bench import end_to_end, measure
from bench.results import Result
from components.embedding_evaluator.catalog import VERIFICATION_ACCURACY
from pipeline import nodes
from face_data.synthetic.face_drawing import draw_face_records
from serving.formats import FORMATS
from serving.model_folder import latest_version_dir
from serving.pushed_model import SAVED_MODEL, PushedModel

NAME = "serving"
TARGET_COLD_START = 1.5  # seconds, compare of two images with ONNX Runtime
RUNTIMES = (SAVED_MODEL, *FORMATS)


def _version(context, overrides):
    """The demo's pushed version, and the Pusher's seconds in that run if this benchmark ran it."""
    run_root = os.path.join(context.scratch_dir, "demo-0")  # end_to_end's first repeat, if it ran
    pusher_seconds = None
    if not os.path.isdir(os.path.join(run_root, "serving")):
        _, _, executions, _ = end_to_end.run_demo(run_root, overrides)
        pusher_seconds = executions[nodes.PUSHER]
    return latest_version_dir(os.path.join(run_root, "serving", "arcface")), pusher_seconds


def _cold_start(version, runtime, paths) -> float:
    start = time.perf_counter()
    completed = subprocess.run([sys.executable, "-m", "serving", "compare", *paths, "--model", version,
                                "--runtime", runtime], cwd=end_to_end.REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        raise RuntimeError(f"compare with {runtime} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return seconds


def run(settings, context):
    start = time.perf_counter()
    version, pusher_seconds = _version(context, settings["overrides"])
    faces = [face.image for face in draw_face_records([5000, 5001], seed=3, images_per_identity=1, size=64)]
    paths = []
    for number, image in enumerate(faces):
        paths.append(os.path.join(context.scratch_dir, f"serving-face-{number}.png"))
        with open(paths[-1], "wb") as file:
            file.write(image)
    with open(os.path.join(version, "verification.json")) as file:
        verification = json.load(file)
    rows = []
    for runtime in RUNTIMES:
        cold = measure.summary([_cold_start(version, runtime, paths) for _ in range(settings["repeats"])])
        model = PushedModel(version, runtime)
        latency = measure.summary([seconds * 1000 for seconds in measure.time_calls(
            lambda: model.embed(faces[:1]), settings["latency_calls"])])
        report = verification["formats"].get(runtime, {})
        accuracy = (verification["format_check"]["saved_model_verification_accuracy"] if runtime == SAVED_MODEL
                    else report[VERIFICATION_ACCURACY])
        rows.append({"runtime": runtime, "file": report.get("file", "saved_model.pb"), "cold_start_s": cold,
                     "latency_ms": latency, "accuracy": round(accuracy, 4),
                     "min_cosine": round(report["min_cosine"], 6) if report else 1.0})
    onnx = next(row for row in rows if row["runtime"] == "onnx")["cold_start_s"]["median"]
    saved_model = rows[0]["cold_start_s"]["median"]
    return Result(
        name=NAME,
        title="Serving: compare with each format",
        target=f"compare of two images with ONNX Runtime cold-starts in under {TARGET_COLD_START} s",
        columns=[("runtime", "runtime"), ("file", "file"), ("cold_start_s", "compare cold start (s)"),
                 ("latency_ms", "per image (ms)"), ("accuracy", "verification accuracy, eval pairs"),
                 ("min_cosine", "min cosine with the SavedModel, probe faces")],
        rows=rows,
        met=onnx < TARGET_COLD_START if not settings["overrides"] else None,
        verdict=f"ONNX compare cold start {onnx:.2f} s ({'under' if onnx < TARGET_COLD_START else 'OVER'} "
                f"{TARGET_COLD_START} s); the SavedModel's {saved_model:.2f} s",
        notes=[
            f"The demo's pushed version ({'configs/local.yaml' if not settings['overrides'] else settings['overrides']}"
            f"); cold start: {settings['repeats']} runs of `python -m serving compare` per runtime on two 64x64 "
            f"synthetic faces; per image: {settings['latency_calls']} calls of `embed` on one face after a warm-up.",
            "Accuracy: LFW 10-fold verification accuracy on the evaluator's pairs of the demo's eval split, "
            "measured by the Pusher (verification.json); cosine: the least over its probe faces.",
            *([f"The demo's Pusher (converting, checking and publishing every format) took {pusher_seconds:.1f} s."]
              if pusher_seconds is not None else []),
        ],
        seconds=time.perf_counter() - start,
    )
