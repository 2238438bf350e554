"""Worker: runs the Transform (tf.Transform on Beam) over one record set, timed, in its own process.

    python -m bench.transform_worker RAW_PATTERN OUTPUT_DIR IMAGE_SIZE

Analyses and transforms every record into OUTPUT_DIR, then removes it. Prints one JSON line: the
run's seconds and the process's peak resident memory during it (reset before it).
"""

import shutil
import sys
import time

from bench import faces, measure


def main(raw_pattern, output_dir, image_size):
    measure.reset_peak_rss()
    start = time.perf_counter()
    faces.transform_faces(raw_pattern, output_dir, image_size)
    seconds = time.perf_counter() - start
    peak = measure.peak_rss_bytes()
    shutil.rmtree(output_dir)  # gigabytes of float pixels
    measure.print_result({"seconds": seconds, "peak_rss_bytes": peak})


if __name__ == "__main__":
    pattern, output, size = sys.argv[1:]
    main(pattern, output, int(size))
