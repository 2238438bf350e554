"""Every public class and function documents itself with an example, and the examples run."""

import doctest
import inspect

import keras
import numpy as np
import pytest

import arcface_module

PUBLIC = [getattr(arcface_module, name) for name in arcface_module.__all__]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda obj: obj.__name__)
def test_example_runs_and_prints_what_it_shows(obj):
    # The example sees its own module's names, plus np, keras and arcface_module.
    globs = {**vars(inspect.getmodule(obj)), "np": np, "keras": keras}
    globs["arcface_module"] = arcface_module
    examples = doctest.DocTestFinder(recurse=False).find(obj, globs=globs)
    assert examples and examples[0].examples, f"{obj.__name__} has no docstring example"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for example in examples:
        runner.run(example)
    assert runner.summarize(verbose=False).failed == 0
