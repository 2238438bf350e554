"""python -m bench [--smoke] [--only NAME ...] [--output-dir DIR]

Runs the benchmarks and writes results.json and results.md: the full run of every benchmark
into bench/ (the committed latest results); --smoke (tiny sizes, one repeat) or --only into
bench/out/.
Scratch files go to a temporary folder under bench/out/, removed at the end.
"""

import argparse
import os
import sys
import tempfile
import time

from bench import machine, registry, results, settings

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
SCRATCH_ROOT = os.path.join(BENCH_DIR, "out")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat: checks the harness")
    parser.add_argument("--only", nargs="+", choices=list(registry.BENCHMARKS), metavar="NAME",
                        help=f"run only these (and what they need): {', '.join(registry.BENCHMARKS)}")
    parser.add_argument("--output-dir", help="where results.json and results.md go"
                        " (default: bench/, or bench/out/ with --smoke or --only)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    mode = "smoke" if args.smoke else "full"
    chosen = settings.SMOKE if args.smoke else settings.FULL
    names = registry.with_requirements(args.only or list(registry.BENCHMARKS))
    description = machine.describe()
    description["load_start"] = machine.load_average()
    os.makedirs(SCRATCH_ROOT, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=SCRATCH_ROOT, prefix=f"{mode}-") as scratch_dir:
        context = registry.RunContext(scratch_dir)
        for name in names:
            print(f"bench: {name} ...", file=sys.stderr, flush=True)
            result = registry.BENCHMARKS[name].run(chosen[name], context)
            context.results[name] = result
            print(f"bench: {name}: {result.verdict} ({result.seconds:.0f} s)", file=sys.stderr, flush=True)
    description["load_end"] = machine.load_average()
    # Only a complete full run replaces the committed latest results.
    output_dir = args.output_dir or (SCRATCH_ROOT if args.smoke or args.only else BENCH_DIR)
    paths = results.write(output_dir, list(context.results.values()), description, mode,
                          {name: chosen[name] for name in names}, time.perf_counter() - start)
    print("\n".join(paths))


if __name__ == "__main__":
    main()
