"""`./dev` in a git worktree shows the repository's git folder inside (read-only), where the
benchmarks read the commit: `worktree_git_dir` names it, and nothing in a plain checkout."""

import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _worktree_git_dir(checkout: Path) -> str:
    shutil.copy(REPO / "dev", checkout / "dev")  # ./dev takes its checkout from where it lies
    done = subprocess.run(["bash", "-c", 'source "$1"; worktree_git_dir', "bash", str(checkout / "dev")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_worktree_names_the_common_git_folder_and_a_plain_checkout_none(tmp_path):
    common = tmp_path / "main" / ".git"
    (common / "worktrees" / "wt").mkdir(parents=True)
    (common / "worktrees" / "wt" / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {common / 'worktrees' / 'wt'}\n")
    assert _worktree_git_dir(worktree) == str(common)
    assert _worktree_git_dir(tmp_path / "main") == ""
