"""Benchmarks of the pipeline's stages: `python -m bench` (or `make bench`).

One module per benchmark (trainer, input_pipeline, transform, evaluation, margin_head,
end_to_end), each returning a `results.Result`; `measure` times and summarises, `machine`
records what ran them, `results` writes bench/results.json and bench/results.md, `settings`
holds the sizes. Workers (`head_step`, `transform_worker`) run one configuration in a fresh
process, so its peak memory is its own. `torch_reference` (PyTorch, in its own venv outside
`./dev`) measures the peer that `peers` compares the Trainer with.
"""
