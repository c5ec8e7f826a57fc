"""HTTP inference server for the iris classifier trained in train.ipynb.

Standard library + NumPy only.

Endpoints
  GET  /health   -> {"status": "ok", "model": "iris.npz", ...}
  POST /predict  <- {"instances": [[5.1, 3.5, 1.4, 0.2], ...]}
                    or {"features": [5.1, 3.5, 1.4, 0.2]}
                 -> {"predictions": ["setosa", ...], "probabilities": [[...], ...]}
  GET  /metrics  -> request counts, latency histogram and errors in the Prometheus
                    text exposition format 0.0.4

Environment
  MODEL_PATH  model artefact written by the notebook (default /app/model/iris.npz)
  PORT        port to listen on (default 8000)
  HOST        address to bind (default 0.0.0.0)
"""

import bisect
import json
import math
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

MAX_BODY_BYTES = 1 << 20  # 1 MiB
MAX_INSTANCES = 10_000
ROUTES = ("/health", "/predict", "/metrics")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


_log_lock = threading.RLock()


def log(message):
    """Write one line to stdout; safe to call from concurrent handler threads."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _log_lock:
        sys.stdout.write(f"{stamp} {message}\n")
        sys.stdout.flush()


class BadRequest(Exception):
    """Client error: reported to the caller as JSON with the given status."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class Model:
    def __init__(self, path):
        with np.load(path) as data:
            self.weights = np.asarray(data["weights"], dtype=np.float64)
            self.bias = np.asarray(data["bias"], dtype=np.float64)
            self.mean = np.asarray(data["mean"], dtype=np.float64)
            self.std = np.asarray(data["std"], dtype=np.float64)
            self.class_names = [str(c) for c in data["class_names"]]
            if "feature_names" in data.files:
                self.feature_names = [str(f) for f in data["feature_names"]]
            else:
                self.feature_names = [f"x{i}" for i in range(self.weights.shape[0])]
        self.path = path
        self.name = os.path.basename(path)
        n_features, n_classes = self.weights.shape
        if (
            self.bias.shape != (n_classes,)
            or self.mean.shape != (n_features,)
            or self.std.shape != (n_features,)
            or len(self.class_names) != n_classes
        ):
            raise ValueError(f"inconsistent array shapes in {path}")
        self.n_features = n_features

    def predict(self, X):
        scores = ((X - self.mean) / self.std) @ self.weights + self.bias
        scores -= scores.max(axis=1, keepdims=True)
        proba = np.exp(scores)
        proba /= proba.sum(axis=1, keepdims=True)
        labels = [self.class_names[i] for i in proba.argmax(axis=1)]
        return labels, proba

    def describe(self):
        return {
            "model": self.name,
            "classes": self.class_names,
            "features": self.feature_names,
        }


def parse_instances(payload, n_features):
    """Validate a decoded JSON body and return an (n, n_features) float array."""
    if not isinstance(payload, dict):
        raise BadRequest('body must be a JSON object with "instances" or "features"')
    if "instances" in payload:
        rows = payload["instances"]
        if not isinstance(rows, list):
            raise BadRequest('"instances" must be a list of lists of numbers')
    elif "features" in payload:
        rows = [payload["features"]]
    else:
        raise BadRequest('missing field: "instances" or "features"')
    if not rows:
        raise BadRequest('"instances" must not be empty')
    if len(rows) > MAX_INSTANCES:
        raise BadRequest(f"at most {MAX_INSTANCES} instances per request")
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise BadRequest(f"instance {i}: expected a list of {n_features} numbers")
        if len(row) != n_features:
            raise BadRequest(
                f"instance {i}: expected {n_features} features, got {len(row)}"
            )
        for j, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise BadRequest(f"instance {i}, feature {j}: not a number: {value!r}")
            if not math.isfinite(value):
                raise BadRequest(f"instance {i}, feature {j}: not a finite number")
    return np.array(rows, dtype=np.float64)


def _label_value(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs):
    return "{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in pairs) + "}"


def _number(value):
    if value == math.inf:
        return "+Inf"
    return repr(float(value))


class Metrics:
    """Request metrics in the Prometheus text exposition format (0.0.4), standard library only.

    Labels stay bounded: a path outside ROUTES is counted as "other".
    """

    # Seconds; the upper bounds of the latency histogram's buckets (+Inf is implied).
    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = {}  # (path, method, status) -> count
        self._errors = {}  # (path, method, kind) -> count
        self._durations = {}  # (path, method) -> [per-bucket counts..., +Inf count], sum

    def observe(self, route, method, status, seconds):
        path = route if route in ROUTES else "other"
        with self._lock:
            key = (path, method, str(status))
            self._requests[key] = self._requests.get(key, 0) + 1
            if status >= 400:
                kind = "client" if status < 500 else "server"
                key = (path, method, kind)
                self._errors[key] = self._errors.get(key, 0) + 1
            empty = ([0] * (len(self.BUCKETS) + 1), 0.0)
            counts, total = self._durations.get((path, method), empty)
            # Counted per bucket here; render() makes them cumulative, as the format wants.
            index = bisect.bisect_left(self.BUCKETS, seconds)
            counts[index] += 1
            self._durations[(path, method)] = (counts, total + seconds)

    def render(self):
        with self._lock:
            requests = sorted(self._requests.items())
            errors = sorted(self._errors.items())
            durations = sorted((k, (list(c), s)) for k, (c, s) in self._durations.items())
        lines = [
            "# HELP iris_requests_total HTTP requests answered, by path, method and status.",
            "# TYPE iris_requests_total counter",
        ]
        for (path, method, status), count in requests:
            labels = _labels([("path", path), ("method", method), ("status", status)])
            lines.append(f"iris_requests_total{labels} {count}")
        lines += [
            "# HELP iris_request_errors_total HTTP requests answered with an error"
            " (kind: client for 4xx, server for 5xx).",
            "# TYPE iris_request_errors_total counter",
        ]
        for (path, method, kind), count in errors:
            labels = _labels([("path", path), ("method", method), ("kind", kind)])
            lines.append(f"iris_request_errors_total{labels} {count}")
        lines += [
            "# HELP iris_request_duration_seconds Time to answer an HTTP request, in seconds.",
            "# TYPE iris_request_duration_seconds histogram",
        ]
        for (path, method), (counts, total) in durations:
            base = [("path", path), ("method", method)]
            cumulative = 0
            for bound, count in zip(self.BUCKETS + (math.inf,), counts):
                cumulative += count
                labels = _labels(base + [("le", _number(bound))])
                lines.append(f"iris_request_duration_seconds_bucket{labels} {cumulative}")
            lines.append(f"iris_request_duration_seconds_sum{_labels(base)} {_number(total)}")
            lines.append(f"iris_request_duration_seconds_count{_labels(base)} {cumulative}")
        return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    server_version = "iris-classifier/1.0"
    model = None  # set in main()
    metrics = Metrics()

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        started = time.perf_counter()
        self._status, self._size = 500, 0
        route = self.path.split("?", 1)[0]
        try:
            if route == "/health":
                if method != "GET":
                    raise BadRequest("method not allowed; use GET", 405)
                self._send_json(200, {"status": "ok", **self.model.describe()})
            elif route == "/metrics":
                if method != "GET":
                    raise BadRequest("method not allowed; use GET", 405)
                self._send(200, METRICS_CONTENT_TYPE, self.metrics.render().encode("utf-8"))
            elif route == "/predict":
                if method != "POST":
                    raise BadRequest("method not allowed; use POST", 405)
                X = parse_instances(self._read_json(), self.model.n_features)
                labels, proba = self.model.predict(X)
                self._send_json(
                    200,
                    {
                        "predictions": labels,
                        "probabilities": np.round(proba, 6).tolist(),
                    },
                )
            else:
                raise BadRequest(f"not found: {route}", 404)
        except BadRequest as err:
            self._send_json(err.status, {"error": str(err)})
        except Exception as err:  # keep serving; report the failure
            log(f"error handling {method} {self.path}: {err!r}")
            self._send_json(500, {"error": "internal server error"})
        elapsed = time.perf_counter() - started
        self.metrics.observe(route, method, self._status, elapsed)
        elapsed_ms = elapsed * 1000
        log(
            f'{self.client_address[0]} "{self.requestline}" '
            f"{self._status} {self._size}B {elapsed_ms:.1f}ms"
        )

    def _read_json(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise BadRequest("chunked request bodies are not supported", 411)
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise BadRequest("invalid Content-Length header") from None
        if length < 0:
            raise BadRequest("invalid Content-Length header")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise BadRequest(f"request body larger than {MAX_BODY_BYTES} bytes", 413)
        body = self.rfile.read(length) if length else b""
        if not body.strip():
            raise BadRequest("request body is empty; expected JSON")
        try:
            return json.loads(body)
        except (UnicodeDecodeError, ValueError) as err:
            raise BadRequest(f"invalid JSON: {err}") from None

    def _send_json(self, status, obj):
        self._send(status, "application/json", (json.dumps(obj) + "\n").encode("utf-8"))

    def _send(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if status == 405:
            self.send_header("Allow", "POST" if self.path.startswith("/predict") else "GET")
        self.end_headers()
        self.wfile.write(body)
        self._status, self._size = status, len(body)

    # The per-request line is written by _handle; keep the base class quiet
    # apart from protocol-level errors (malformed request lines and the like).
    def log_request(self, code="-", size="-"):
        pass

    def log_message(self, format, *args):
        log(f"{self.address_string()} {format % args}")


def main():
    model_path = os.environ.get("MODEL_PATH", "/app/model/iris.npz")
    host = os.environ.get("HOST", "0.0.0.0")
    try:
        port = int(os.environ.get("PORT", "8000"))
    except ValueError:
        print(f"invalid PORT: {os.environ['PORT']!r}", file=sys.stderr)
        return 2
    try:
        Handler.model = Model(model_path)
    except (OSError, KeyError, ValueError) as err:
        print(f"cannot load model from {model_path}: {err}", file=sys.stderr)
        return 1

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum, _frame):
        log(f"received {signal.Signals(signum).name}, shutting down")
        # shutdown() waits for serve_forever() to return, so call it elsewhere.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    m = Handler.model
    log(
        f"loaded {m.path}: {len(m.class_names)} classes {m.class_names}, "
        f"{m.n_features} features"
    )
    log(f"listening on http://{host}:{port}")
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
