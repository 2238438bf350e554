"""What the figures were measured on: the machine and the versions; when: the date, load and commit.

The commit is HEAD's; the working tree may hold other developers' uncommitted changes.
"""

import datetime
import importlib.metadata
import os
import platform
import re

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


def commit():
    """The checked-out commit, read from .git itself: the environment has no git command."""
    git_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".git")
    try:
        with open(os.path.join(git_dir, "HEAD")) as head:
            reference = head.read().strip()
        if not reference.startswith("ref: "):
            return reference[:12]  # a detached HEAD names its commit
        name = reference[len("ref: "):]
        if os.path.exists(os.path.join(git_dir, name)):
            with open(os.path.join(git_dir, name)) as ref:
                return ref.read().strip()[:12]
        with open(os.path.join(git_dir, "packed-refs")) as packed:
            for line in packed:
                if line.rstrip().endswith(" " + name):
                    return line.split()[0][:12]
    except OSError:
        pass
    return None


def cpu():
    """The processor model and the cores this process may use: what tells two machines apart."""
    return {"cpu_model": _cpu_model(), "cores": len(os.sched_getaffinity(0))}


def describe():
    """Machine and versions, as JSON values."""
    return {
        **cpu(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in PACKAGES},
    }


def starting():
    """When a benchmark starts: the UTC date, the commit and the load average, as JSON values."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": commit(),
        "load_start": load_average(),
    }
