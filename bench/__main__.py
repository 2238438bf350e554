"""python -m bench [--smoke] [--only NAME ...] [--output-dir DIR]

Runs the benchmarks and writes results.json and results.md into bench/ (the committed latest
results), or with --smoke (tiny sizes, one repeat) into bench/out/. The files keep the latest
result of every benchmark: --only NAME replaces NAME's and keeps the others' (a benchmark that
reads another's result uses the one in the files, and runs it only if it is not there).
Scratch files go to a temporary folder under bench/out/, removed at the end.
"""

# First, before anything imports TensorFlow: its start-up lines are hidden unless --verbose.
from console import quiet

quiet.start()

import argparse
import os
import sys
import tempfile

from bench import machine, registry, results, settings

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SCRATCH_ROOT = os.path.join(BENCH_DIR, "out")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: checks the harness")
    parser.add_argument("--only", nargs="+", choices=list(registry.BENCHMARKS), metavar="NAME",
                        help="run only these (and what they need that the results lack), keeping"
                        f" the others' results: {', '.join(registry.BENCHMARKS)}")
    parser.add_argument("--output-dir", help="where results.json and results.md go"
                        " (default: bench/, or bench/out/ with --smoke)")
    quiet.add_flag(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    chosen = settings.SMOKE if args.smoke else settings.FULL
    output_dir = args.output_dir or (SCRATCH_ROOT if args.smoke else BENCH_DIR)
    latest, latest_settings = results.read(output_dir, mode)
    names = registry.with_requirements(args.only or list(registry.BENCHMARKS), available=latest)
    os.makedirs(SCRATCH_ROOT, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=SCRATCH_ROOT, prefix=f"{mode}-") as scratch_dir:
        context = registry.RunContext(scratch_dir, dict(latest))
        for name in names:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            run = machine.starting()
            result = registry.benchmark(name).run(chosen[name], context)
            result.run = {**run, "load_end": machine.load_average()}
            context.results[name] = result
            print(f"bench: {name}: {result.verdict} ({result.seconds:.0f} s)", file=sys.stderr, flush=True)
    paths = results.write(output_dir, context.results, machine.describe(), mode,
                          {**latest_settings, **{name: chosen[name] for name in names}},
                          list(registry.BENCHMARKS))
    print("\n".join(paths))


if __name__ == "__main__":
    main()
