"""The commit a benchmark records, read from the git folders by hand (the environment has no git):
in a plain checkout, and in a worktree, whose `.git` is a file naming its folder in the main one."""

from bench.machine import commit

MAIN, OTHER = "a" * 40, "b" * 40


def _repository(root):
    """A main checkout on branch main (a loose ref) with a branch wt only in packed-refs."""
    git = root / "main" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(MAIN + "\n")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled fully-peeled sorted\n{OTHER} refs/heads/wt\n")
    return git


def test_a_plain_checkout_names_its_branch_commit(tmp_path):
    _repository(tmp_path)
    assert commit(str(tmp_path / "main")) == MAIN[:12]


def test_a_worktree_names_its_own_branch_commit_from_the_common_folder(tmp_path):
    git = _repository(tmp_path)
    own = git / "worktrees" / "wt"
    own.mkdir(parents=True)
    (own / "HEAD").write_text("ref: refs/heads/wt\n")
    (own / "commondir").write_text("../..\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {own}\n")
    assert commit(str(tmp_path / "wt")) == OTHER[:12]
    (own / "HEAD").write_text(MAIN + "\n")  # detached
    assert commit(str(tmp_path / "wt")) == MAIN[:12]


def test_no_git_folder_gives_none(tmp_path):
    assert commit(str(tmp_path)) is None
