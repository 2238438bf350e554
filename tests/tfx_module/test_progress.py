"""The Trainer's progress line: when it is due and what it says (a fake clock; no TensorFlow)."""

from tfx_module.trainer.progress import Progress, duration


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_lines_at_the_first_step_every_interval_and_the_last_with_rate_and_time_left():
    clock = Clock()
    progress = Progress(total_steps=1000, batch_size=32, every_seconds=15, clock=clock)
    clock.now += 9.5  # the first step traces the step function
    assert progress.due(1)
    assert progress.line(1, {"accuracy": 0.0, "learning_rate": 1e-5, "loss": 21.7431}) == (
        "step 1/1000 (0%)  loss 21.74  accuracy 0.000  lr 1e-05  first step 9.5 s")
    clock.now += 14.9
    assert not progress.due(150)
    clock.now += 0.1  # 15 s after the previous line: 200 steps of 32 images in 15 s, 799 steps left
    assert progress.due(201)
    assert progress.line(201, {"loss": 15.0249, "accuracy": 0.0312, "learning_rate": 0.00934, "val_accuracy": 0.8123}) == (
        "step 201/1000 (20%)  loss 15.02  accuracy 0.031  lr 0.00934  val_accuracy 0.8123  427 images/s  ETA 1m00s")
    clock.now += 1.0
    assert progress.due(1000), "the last step always has its line"
    assert progress.line(1000, {"loss": float("nan")}).endswith("loss nan  25568 images/s  took 26s")


def test_durations_read_as_a_person_would_say_them():
    assert [duration(s) for s in (0, 44.6, 123, 3599, 3720, 90061)] == ["0s", "45s", "2m03s", "59m59s", "1h02m", "25h01m"]
