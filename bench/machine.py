"""What the figures were measured on: the machine and the versions; when: the date, load and commit.

The commit is HEAD's; the working tree may hold other developers' uncommitted changes.
"""

import datetime
import importlib.metadata
import os
import platform
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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


def _git_dirs(checkout):
    """The checkout's own git folder (its HEAD) and the repository's common one (branches, packed
    refs): one folder, except in a worktree (`git worktree add`), whose `.git` is a file naming its
    own folder, and that folder's `commondir` the common one."""
    git_dir = os.path.join(checkout, ".git")
    if os.path.isfile(git_dir):
        with open(git_dir) as link:
            git_dir = os.path.join(checkout, link.read().strip().removeprefix("gitdir: "))
    common_dir = git_dir
    if os.path.isfile(os.path.join(git_dir, "commondir")):
        with open(os.path.join(git_dir, "commondir")) as link:
            common_dir = os.path.normpath(os.path.join(git_dir, link.read().strip()))
    return git_dir, common_dir


def commit(checkout=REPO):
    """The commit checked out in `checkout` (this repository), read from its git folders: the
    environment has no git command. None if they cannot be read."""
    git_dir, common_dir = _git_dirs(checkout)
    try:
        with open(os.path.join(git_dir, "HEAD")) as head:
            reference = head.read().strip()
        if not reference.startswith("ref: "):
            return reference[:12]  # a detached HEAD names its commit
        name = reference[len("ref: "):]
        for folder in (git_dir, common_dir):  # a worktree's own refs, then the shared branches
            if os.path.exists(os.path.join(folder, name)):
                with open(os.path.join(folder, name)) as ref:
                    return ref.read().strip()[:12]
        with open(os.path.join(common_dir, "packed-refs")) as packed:
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
