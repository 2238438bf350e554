"""A Kubeflow Pipelines API server on 127.0.0.1 that records what a client sends.

It answers the v2beta1 endpoints kfp.Client uses to submit and schedule (healthz, experiments, runs,
recurring runs) and remembers the experiments created, so a second submission finds its experiment.
It serves from one thread and stops by itself after `max_requests` requests or `lifetime_seconds`.

    with KfpApiServer() as server:
        kfp.Client(host=server.url).create_experiment("x")
    server.requests  # [Request(method="GET", path="/apis/v2beta1/experiments", ...), ...]
"""

import http.server
import json
import threading
import time
import urllib.parse
from typing import Any, Dict, List, NamedTuple, Tuple

API = "/apis/v2beta1"


class Request(NamedTuple):
    method: str
    path: str
    query: Dict[str, str]
    body: Any


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        status, answer = self.server.api.answer(Request(self.command, url.path, dict(urllib.parse.parse_qsl(url.query)), body))
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass  # tests read `requests` instead


class KfpApiServer:
    def __init__(self, max_requests: int = 20, lifetime_seconds: float = 60.0):
        self.requests: List[Request] = []
        self.experiments: List[Dict[str, Any]] = []
        self._max_requests = max_requests
        self._lifetime_seconds = lifetime_seconds
        self._stop = threading.Event()

    @property
    def url(self) -> str:
        host, port = self._http.server_address
        return f"http://{host}:{port}"

    def __enter__(self):
        self._http = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
        self._http.api = self
        self._http.timeout = 0.1  # handle_request() returns this often to check the bounds
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self):
        deadline = time.monotonic() + self._lifetime_seconds
        try:
            while not self._stop.is_set() and len(self.requests) < self._max_requests and time.monotonic() < deadline:
                self._http.handle_request()
        finally:
            self._http.server_close()

    def answer(self, request: Request) -> Tuple[int, Dict[str, Any]]:
        self.requests.append(request)
        route = (request.method, request.path)
        if route == ("GET", f"{API}/healthz"):
            return 200, {"multi_user": False}
        if route == ("GET", f"{API}/experiments"):
            wanted = json.loads(request.query["filter"])["predicates"][0]["stringValue"]
            return 200, {"experiments": [e for e in self.experiments if e["display_name"] == wanted]}
        if route == ("POST", f"{API}/experiments"):
            experiment = {**request.body, "experiment_id": f"experiment-{len(self.experiments) + 1}"}
            self.experiments.append(experiment)
            return 200, experiment
        if route == ("POST", f"{API}/runs"):
            return 200, {"run_id": f"run-{len(self.requests)}", "display_name": request.body["display_name"]}
        if route == ("POST", f"{API}/recurringruns"):
            return 200, {"recurring_run_id": f"recurring-{len(self.requests)}", "display_name": request.body["display_name"]}
        return 404, {"error": f"expected one of the endpoints kfp.Client submits to, got {request.method} {request.path}"}
