"""Refusals come before TensorFlow loads (it takes seconds): the converters' input checks, a bad config
or a missing input folder given to the runner, `compare --align` on a file that is no photo.

Each command runs in one interpreter in which importing TensorFlow fails: a refusal that needed it
would fail differently. How fast they answer is measured by bench/startup.py.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROGRAM = textwrap.dedent("""
    import sys

    class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tensorflow", "keras", "tfx", "apache_beam"):
                raise ImportError(f"{name} must not load before the input is refused")

    sys.meta_path.insert(0, NoTensorFlow())
    from face_data.conversion import cli as convert
    from runners import local_runner
    from serving import cli as serving

    tmp = sys.argv[1]
    print(convert.main(["folder", f"{tmp}/missing", f"{tmp}/out"]))
    print(convert.main(["lfw-pairs", f"{tmp}/pairs.txt", tmp, f"{tmp}/out"]))
    print(local_runner.main(["--config", f"{tmp}/bad.yaml"]))
    print(local_runner.main(["--config", f"{tmp}/no-input.yaml"]))
    print(serving.main(["compare", f"{tmp}/junk.jpg", f"{tmp}/junk.jpg", "--model", f"{tmp}/none", "--align"]))
""")


def test_refusals_need_no_tensorflow(tmp_path):
    (tmp_path / "pairs.txt").write_text("10\tnot a pairs line\n")
    (tmp_path / "bad.yaml").write_text((REPO / "configs" / "local.yaml").read_text() + "bogus_key: 1\n")
    (tmp_path / "no-input.yaml").write_text((REPO / "configs" / "own-faces.yaml").read_text().replace(
        "runs/own-faces", str(tmp_path / "own-faces")))
    (tmp_path / "junk.jpg").write_bytes(b"not a photo at all")
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["1"] * 5, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    assert len(lines) == 5, done.stderr
    assert lines[0] == (f"python -m face_data: error: {tmp_path}/missing: expected a folder of identity folders (root/<identity>/<image>), "
                        "but it is not a folder")
    assert lines[1].startswith(f"python -m face_data: error: {tmp_path}/pairs.txt line 1: ")
    # The runner's prog is the interpreter's argv[0]: "-c" here, "local_runner.py" from a shell.
    assert lines[2] == f"-c: error: {tmp_path}/bad.yaml: bogus_key: Extra inputs are not permitted"
    assert lines[3].startswith(f"-c: error: data.input_base: {tmp_path}/own-faces/data does not exist")
    assert lines[4] == (f"python -m serving: error: {tmp_path}/junk.jpg: not an image: Pillow cannot identify 18 bytes "
                        "starting b'not a ph'")
