"""Margin head at scale: step time and peak memory of the ArcFace head, full vs. Partial FC.

Each configuration (classes x sample rate) runs in its own process (`bench.head_step`), so its
peak memory is its own: 1e6 x 512 float32 centers alone are 2 GB.
"""

import time

from bench import measure
from bench.results import Result

NAME = "margin_head"
TARGET_SPEEDUP = 5.0
FULL = 1.0


def _rate_label(rate):
    return "full" if rate == FULL else f"Partial FC {rate:g}"


def measure_heads(worker, arguments, settings):
    """Runs `python -m worker arguments(classes, rate)` for each of `settings`' classes and rates.

    Returns the table's rows (classes, head, step_ms, peak_gib, speedup vs. the full head) and the
    speed-up of the smallest rate at the largest class count (a `measure.ratio_of_medians`).
    """
    rows, step_seconds = [], {}
    for num_classes in settings["classes"]:
        for rate in settings["rates"]:
            measured = measure.run_worker(worker, arguments(num_classes, rate))
            seconds = measure.summary(measured["seconds"])
            step_seconds[num_classes, rate] = seconds
            rows.append({
                "classes": f"{num_classes:,}",
                "head": _rate_label(rate),
                "step_ms": measure.summary([1000 * s for s in measured["seconds"]]),
                "peak_gib": measure.summary([b / 2**30 for b in measured["peak_rss_bytes"]]),
            })
    for row, (configuration, seconds) in zip(rows, step_seconds.items()):  # both in run order
        full = step_seconds.get((configuration[0], FULL))
        row["speedup"] = measure.ratio_of_medians(full, seconds) if full else "-"
    largest, smallest_rate = max(settings["classes"]), min(settings["rates"])
    return rows, measure.ratio_of_medians(step_seconds[largest, FULL], step_seconds[largest, smallest_rate])


def judged(settings, speedup):
    """(met or None if the sizes cannot judge the target, verdict) of a speed-up at the largest size."""
    largest, smallest_rate = max(settings["classes"]), min(settings["rates"])
    met = speedup["median"] >= TARGET_SPEEDUP if largest >= 1_000_000 and smallest_rate <= 0.1 else None
    return met, (f"{_rate_label(smallest_rate)} steps {speedup['median']:.2g}x as fast as the full"
                 f" head at {largest:,} classes ({speedup['min']:.2g}-{speedup['max']:.2g}x)")


COLUMNS = [("classes", "classes"), ("head", "head"), ("step_ms", "step (ms)"),
           ("speedup", "speed-up vs. full"), ("peak_gib", "peak RSS (GiB)")]
SPEEDUP_NOTE = "Speed-up: ratio of median step times; its range pairs the extremes."


def run(settings, context):
    start = time.perf_counter()
    rows, speedup = measure_heads("bench.head_step", lambda num_classes, rate: [
        num_classes, rate, settings["batch_size"], settings["dim"], settings["steps"]], settings)
    met, verdict = judged(settings, speedup)
    return Result(
        name=NAME,
        title="Margin head at scale: full vs. Partial FC",
        target=f"at 1e6 classes, Partial FC 0.1 at least {TARGET_SPEEDUP:g}x faster than the full head",
        columns=COLUMNS,
        rows=rows,
        met=met,
        verdict=verdict,
        notes=[
            f"One step of `MarginHead` (ArcFace margin) alone: batch {settings['batch_size']},"
            f" {settings['dim']}-d random embeddings, forward + gradients to centers and embeddings"
            " + plain SGD update (no optimizer slots); one process per configuration,"
            f" {settings['steps']} timed steps after 1 untimed (tracing) step.",
            "Peak RSS: the process's resident high-water mark during each timed step (reset before"
            " it), so it includes the TensorFlow runtime (about 0.9 GB) and the centers.",
            SPEEDUP_NOTE,
        ],
        seconds=time.perf_counter() - start,
    )
