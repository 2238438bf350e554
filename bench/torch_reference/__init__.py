"""A PyTorch reference for the Trainer's speed: arcface_torch's backbones, trained here in PyTorch.

Issue 19 ([P1]) compares the Trainer with insightface's arcface_torch on the same CPU. This
package measures that peer on this machine, with PyTorch 2.13 CPU: MobileFaceNet ("mbf") and
IResNet-50 ("r50") of arcface_torch's architecture, written here (`backbones`), trained a step
at a time with a 1000-class ArcFace head (`step`), at the batch sizes of the `trainer_peers`
benchmark. PyTorch is not in the project's environment: it runs in its own Python 3.11 venv,
outside `./dev` (`run.sh`, which `make bench` calls first), and writes `RESULT_FILE`, which
`trainer_peers` (bench/peers.py) reads.

    bench/torch_reference/run.sh                    # what make bench runs: every row, then the file
    bench/torch_reference/run.sh --only mbf --batch-sizes 64 --repeats 3
"""

import os

# Where run.sh writes the reference's figures and bench/peers.py reads them (bench/out: not committed).
RESULT_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "out",
                           "torch_reference.json")
