"""Worker: runs the Transform (tf.Transform on Beam) over one record set, timed, in its own process.

    python -m bench.transform_worker RAW_PATTERN OUTPUT_DIR IMAGE_SIZE REPEATS

Each repeat analyses and transforms every record into a fresh folder. Prints one JSON line:
each repeat's seconds and the process's peak resident memory during it (reset before it).
"""

import os
import shutil
import sys
import time

from bench import faces, measure


def main(raw_pattern, output_dir, image_size, repeats):
    seconds, peaks = [], []
    for repeat in range(repeats):
        target = os.path.join(output_dir, f"repeat-{repeat}")
        measure.reset_peak_rss()
        start = time.perf_counter()
        faces.transform_faces(raw_pattern, target, image_size)
        seconds.append(time.perf_counter() - start)
        peaks.append(measure.peak_rss_bytes())
        shutil.rmtree(target)  # gigabytes of float pixels
    measure.print_result({"seconds": seconds, "peak_rss_bytes": peaks})


if __name__ == "__main__":
    pattern, output, size, times = sys.argv[1:]
    main(pattern, output, int(size), int(times))
