"""Timing and memory: repeated measurements summarised as a median with its spread.

Every figure the harness reports is a `summary` of repeated samples: the median, the extremes
and the quartiles, with the raw samples kept so a reader can check them. Peak memory is the
resident set's high-water mark (VmHWM), which Linux lets a process reset, so one process can
measure the peak of each of several runs.

Example:
    >>> summary([3.0, 1.0, 2.0])
    {'median': 2.0, 'min': 1.0, 'max': 3.0, 'q1': 1.5, 'q3': 2.5, 'n': 3, 'samples': [3.0, 1.0, 2.0]}
"""

import json
import os
import re
import subprocess
import sys
import time

import numpy as np


def summary(samples):
    """Median, min, max and quartiles of repeated measurements, with the samples themselves."""
    values = np.asarray(samples, dtype=np.float64)
    if values.size == 0:
        raise ValueError("summary of no samples")
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        "median": float(median),
        "min": float(values.min()),
        "max": float(values.max()),
        "q1": float(q1),
        "q3": float(q3),
        "n": int(values.size),
        "samples": [float(v) for v in values],
    }


def ratio_of_medians(numerator, denominator):
    """A ratio of two summaries: the ratio of medians, and the extremes the samples allow.

    For figures measured separately (not in pairs), where no per-sample ratio exists.
    """
    return {
        "median": numerator["median"] / denominator["median"],
        "min": numerator["min"] / denominator["max"],
        "max": numerator["max"] / denominator["min"],
        "n": min(numerator["n"], denominator["n"]),
    }


def time_calls(function, repeats, warmup=1):
    """Seconds of `repeats` calls of `function()`, after `warmup` untimed calls."""
    for _ in range(warmup):
        function()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def reset_peak_rss():
    """Resets this process's peak resident set size to its current size (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def _status_kib(field):
    with open("/proc/self/status") as status:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE).group(1))


def peak_rss_bytes():
    """This process's peak resident set size since it started or since `reset_peak_rss`."""
    return _status_kib("VmHWM") * 1024


def rss_bytes():
    """This process's resident set size now."""
    return _status_kib("VmRSS") * 1024


def print_result(result):
    """A worker's last line on stdout: its result as JSON, read back by `run_worker`."""
    print(json.dumps(result), flush=True)


def run_worker(module, arguments, timeout=3600):
    """Runs `python -m module arguments...` in a fresh process; returns its `print_result` value.

    A fresh process per configuration keeps each peak memory reading clean of the others'.
    """
    command = [sys.executable, "-m", module, *map(str, arguments)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if completed.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr[-5000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])
