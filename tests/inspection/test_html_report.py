"""The HTML run report of a fake store: self-contained, its links resolve, its figures embedded."""

import base64
import html.parser
import re

from configs import load_config
from inspection import html_report

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
