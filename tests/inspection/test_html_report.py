"""The HTML run report of a fake store: self-contained, its links resolve, its figures embedded."""

import base64
import html.parser
import json
import re

import tensorflow as tf
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from components.embedding_evaluator import catalog
from configs import load_config
from fake_tfx_store import FakeTfxStore
from inspection import html_report, run_files

REPO_CONFIG = "configs/local.yaml"


class _References(html.parser.HTMLParser):
    """Every src and href of a page, and every id it defines."""

    def __init__(self):
        super().__init__()
        self.references, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.references += [attrs[k] for k in ("src", "href") if k in attrs]
        self.ids.update([attrs["id"]] if "id" in attrs else [])


def test_html_report_is_self_contained_and_embeds_the_figures(history, tmp_path):
    store, ids = history
    config = load_config(REPO_CONFIG, {"pipeline_name": "arcface", "run_root": str(tmp_path / "run")})
    page = html_report.render(config, store, "r1")
    references = _References()
    references.feed(page)
    external = [r for r in references.references if not r.startswith(("data:", "#"))]
    assert external == [], "the report must not load anything from outside the file"
    dangling = [r for r in references.references if r.startswith("#") and r[1:] not in references.ids]
    assert dangling == []
    [image] = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert base64.b64decode(image) == (ids["evaluation_dir"] / "roc.png").read_bytes()
    shown = ["arcface: run r1", "ImportExampleGen", "Pusher", "verification_accuracy", "/serving/1", "0.91 &gt;= 0.9"]
    assert [text for text in shown if text not in page] == []


def _run_with_files(tmp_path):
    """A store with one run whose artifacts hold real files: TensorBoard scalars written by
    tf.summary (as the Trainer writes them), StatisticsGen's and ExampleValidator's protos, and the
    evaluator's metrics.json with a blessed model's metrics beside the candidate's."""
    s = FakeTfxStore()
    run = s.new_run("arcface", "r1")
    [examples] = s.execute(run, "ImportExampleGen", writes=[("Examples", str(tmp_path / "examples"), {})])
    statistics_dir, anomalies_dir = tmp_path / "statistics" / "Split-train", tmp_path / "anomalies" / "Split-train"
    statistics_dir.mkdir(parents=True)
    anomalies_dir.mkdir(parents=True)
    statistics = statistics_pb2.DatasetFeatureStatisticsList()
    dataset = statistics.datasets.add(num_examples=168)
    label = dataset.features.add(type=statistics_pb2.FeatureNameStatistics.INT)
    label.path.step.append("label")
    label.num_stats.common_stats.num_non_missing, label.num_stats.max = 168, 23
    (statistics_dir / run_files.STATISTICS_FILE).write_bytes(statistics.SerializeToString())
    anomalies = anomalies_pb2.Anomalies()
    anomalies.anomaly_info["label"].description = "Unexpectedly large value: 9999."
    (anomalies_dir / run_files.ANOMALIES_FILE).write_bytes(anomalies.SerializeToString())
    s.execute(run, "StatisticsGen", reads=[examples],
              writes=[("ExampleStatistics", str(tmp_path / "statistics"), {})])
    s.execute(run, "ExampleValidator", writes=[("ExampleAnomalies", str(tmp_path / "anomalies"), {})])

    log_dir = tmp_path / "model_run" / "7"
    with tf.summary.create_file_writer(str(log_dir)).as_default():
        for step, loss in [(10, 7.5), (20, 5.0), (30, 2.5)]:
            tf.summary.scalar("loss", loss, step=step)
            tf.summary.scalar("accuracy", 1 - loss / 10, step=step)
    config = json.dumps({"trainer": {"batch_size": 32, "backbone": "tiny"}, "data": {"label_feature": "label"}})
    [model, _] = s.execute(run, "Trainer", reads=[examples], properties={"custom_config": config},
                           writes=[("Model", str(tmp_path / "model"), {}), ("ModelRun", str(log_dir), {})])
    evaluation_dir = tmp_path / "evaluation"
    evaluation_dir.mkdir()
    metrics = {"verification_accuracy": 0.91, "auc": 0.97, "num_pairs": 100, "pairs_source": "eval split",
               "num_images": 40, "num_identities": 8, "baseline_model": "/x/model/2",
               "baseline": {"verification_accuracy": 0.88, "auc": 0.96},
               "checks": ["PASS verification_accuracy 0.9100, required >= 0.7000"]}
    (evaluation_dir / catalog.METRICS_FILE).write_text(json.dumps(metrics))
    s.execute(run, "EmbeddingEvaluator", reads=[examples, model],
              properties={"blessing_policy": json.dumps({"min_verification_accuracy": 0.7})},
              writes=[("ModelEvaluation", str(evaluation_dir), {"verification_accuracy": 0.91}),
                      ("ModelBlessing", "/x/blessing", {"blessed": 1, "current_model_id": model})])
    return s.store


def test_html_report_shows_settings_curves_data_and_the_blessed_models_metrics(tmp_path):
    store = _run_with_files(tmp_path)
    config = load_config(REPO_CONFIG, {"pipeline_name": "arcface", "run_root": str(tmp_path / "run")})
    page = html_report.render(config, store)
    assert run_files.training_curves(str(tmp_path / "model_run" / "7")) == {
        "accuracy": [(10, 0.25), (20, 0.5), (30, 0.75)], "loss": [(10, 7.5), (20, 5.0), (30, 2.5)]}
    shown = [
        "<b>trainer.batch_size</b> 32", "<b>data.label_feature</b> label",  # the Trainer's custom_config
        "<b>EmbeddingEvaluator.blessing_policy.min_verification_accuracy</b> 0.7",
        'alt="training curves"', "at the last logged step (30): accuracy 0.75, loss 2.5",
        f"tensorboard --logdir {tmp_path / 'model_run'}",
        "Split train: 168 examples", "<b>label</b>: Unexpectedly large value: 9999.",
        "Metrics, against the latest blessed model", "100 pairs (eval split); eval split 40 images of 8 identities",
        "<td>verification_accuracy</td><td class=num>0.9100</td><td class=num>0.8800</td><td class=num>0.0300</td>",
        "PASS verification_accuracy 0.9100, required &gt;= 0.7000",
    ]
    assert [text for text in shown if text not in page] == []
