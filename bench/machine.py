"""What the figures were measured on: the machine, its load, the versions, the commit."""

import datetime
import importlib.metadata
import os
import platform
import re
import subprocess

# The packages whose versions decide the figures.
PACKAGES = ("tensorflow", "keras", "tfx", "tensorflow-transform", "tfx-bsl", "apache-beam",
            "ml-metadata", "numpy")


def _cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read(), re.MULTILINE)
    return found.group(1).strip() if found else platform.processor()


def _memory_gib():
    with open("/proc/meminfo") as meminfo:
        kib = int(re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read(), re.MULTILINE).group(1))
    return round(kib / 2**20, 1)


def load_average():
    """The 1, 5 and 15 minute load averages: other processes share these cores."""
    return [round(value, 2) for value in os.getloadavg()]


def _git(*arguments):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        return subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def describe():
    """Machine, versions and commit, as JSON values."""
    return {
        "cpu_model": _cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in PACKAGES},
        "commit": _git("rev-parse", "--short", "HEAD"),
        # Figures from a tree with uncommitted changes may not match the commit above.
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
