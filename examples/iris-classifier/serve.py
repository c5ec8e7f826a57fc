"""HTTP inference server for the iris classifier trained in train.ipynb.

Standard library + NumPy only.

Endpoints
  GET  /health                -> {"status": "ok", "model": "iris.npz", ..., "models": ["iris", ...]}
  POST /predict               <- {"instances": [[5.1, 3.5, 1.4, 0.2], ...]}
                                 or {"features": [5.1, 3.5, 1.4, 0.2]}
                              -> {"predictions": ["setosa", ...], "probabilities": [[...], ...]}
                                 (the default model)
  GET  /models                -> {"default": "iris", "models": [{"name": "iris", "model": "iris.npz", ...}, ...]}
  GET  /models/<name>         -> {"name": "iris", "model": "iris.npz", "classes": [...], ...}
  POST /models/<name>/predict -> as /predict, with that model; an unknown name gets
                                 404 {"error": "unknown model ...", "models": [known names]}
  GET  /metrics               -> request counts, latency histogram and errors in the Prometheus
                                 text exposition format 0.0.4, with a "model" label on the
                                 requests that use a model

Environment
  MODELS      the models to serve, comma-separated: NAME=PATH, or a PATH alone (named after its
              file, without .npz); a PATH that is a folder adds every *.npz in it, by file name.
              e.g. MODELS=iris=/models/iris.npz,iris-v2=/models/iris-v2.npz  or  MODELS=/models
              Names: letters, digits, ".", "_" and "-". Unset or empty: MODEL_PATH alone.
  MODEL_PATH  without MODELS, the one model (default /app/model/iris.npz); with MODELS, the
              model whose path it is is the default, else the first of MODELS is
  PORT        port to listen on (default 8000)
  HOST        address to bind (default 0.0.0.0)
"""

import bisect
import json
import math
import os
import re
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

MAX_BODY_BYTES = 1 << 20  # 1 MiB
MAX_INSTANCES = 10_000
# Values of the "path" label: every route, a model's routes as a template, "other" for the rest.
ROUTES = ("/health", "/predict", "/metrics", "/models", "/models/{name}", "/models/{name}/predict")
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
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


class UnknownModel(Exception):
    """A /models/<name> route for a model this server does not serve: 404 with the known names."""

    def __init__(self, name, known):
        super().__init__(f"unknown model: {name!r} (known: {', '.join(known)})")
        self.known = known


class Model:
    def __init__(self, path, name=None):
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
        self.name = os.path.basename(path)  # the file name ("model" in /health, as before)
        self.key = name or model_name(path)  # the name it is served under
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


def model_name(path):
    """A model's name from its file: iris-v2.npz -> iris-v2."""
    base = os.path.basename(path.rstrip("/"))
    return base[: -len(".npz")] if base.endswith(".npz") else base


def model_specs(models, model_path):
    """The (name, path) pairs to load and the default's name, from MODELS and MODEL_PATH.

    Raises ValueError with the reason when MODELS is malformed or two models share a name.
    """
    if not models or not models.strip():
        return [(model_name(model_path), model_path)], model_name(model_path)
    specs = []
    for item in (part.strip() for part in models.split(",")):
        if not item:
            continue
        name, sep, path = item.partition("=")
        if not sep:
            name, path = None, item
        path = path.strip()
        if not path:
            raise ValueError(f"MODELS entry {item!r}: no path")
        if name is None and os.path.isdir(path):
            files = sorted((f for f in os.listdir(path) if f.endswith(".npz")), key=model_name)
            if not files:
                raise ValueError(f"MODELS folder {path}: no *.npz model in it")
            specs += [(model_name(f), os.path.join(path, f)) for f in files]
            continue
        specs.append(((name or model_name(path)).strip(), path))
    if not specs:
        raise ValueError("MODELS names no model")
    seen = set()
    for name, path in specs:
        if not MODEL_NAME.match(name):
            raise ValueError(
                f"model name {name!r} ({path}): use letters, digits, '.', '_' and '-'"
            )
        if name in seen:
            raise ValueError(f"two models named {name!r}: name them in MODELS as NAME=PATH")
        seen.add(name)
    default = next((n for n, p in specs if model_path and p == model_path), specs[0][0])
    return specs, default


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


def _model(model):
    """The model label, on the series of requests that use a model only."""
    return [("model", model)] if model else []


class Metrics:
    """Request metrics in the Prometheus text exposition format (0.0.4), standard library only.

    Labels stay bounded: a path outside ROUTES is counted as "other"; the "model" label (on the
    requests that use a model) is one of the models served, or "other" for an unknown name.
    """

    # Seconds; the upper bounds of the latency histogram's buckets (+Inf is implied).
    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = {}  # (path, method, status, model) -> count
        self._errors = {}  # (path, method, kind, model) -> count
        self._durations = {}  # (path, method, model) -> [per-bucket counts..., +Inf count], sum

    def observe(self, route, method, status, seconds, model=""):
        """One request answered; `model` is the name of the model it used ("" for none)."""
        path = route if route in ROUTES else "other"
        with self._lock:
            key = (path, method, str(status), model)
            self._requests[key] = self._requests.get(key, 0) + 1
            if status >= 400:
                kind = "client" if status < 500 else "server"
                key = (path, method, kind, model)
                self._errors[key] = self._errors.get(key, 0) + 1
            empty = ([0] * (len(self.BUCKETS) + 1), 0.0)
            counts, total = self._durations.get((path, method, model), empty)
            # Counted per bucket here; render() makes them cumulative, as the format wants.
            index = bisect.bisect_left(self.BUCKETS, seconds)
            counts[index] += 1
            self._durations[(path, method, model)] = (counts, total + seconds)

    def render(self):
        with self._lock:
            requests = sorted(self._requests.items())
            errors = sorted(self._errors.items())
            durations = sorted((k, (list(c), s)) for k, (c, s) in self._durations.items())
        lines = [
            "# HELP iris_requests_total HTTP requests answered, by path, method, status"
            " and model.",
            "# TYPE iris_requests_total counter",
        ]
        for (path, method, status, model), count in requests:
            labels = _labels([("path", path), ("method", method), ("status", status)] + _model(model))
            lines.append(f"iris_requests_total{labels} {count}")
        lines += [
            "# HELP iris_request_errors_total HTTP requests answered with an error"
            " (kind: client for 4xx, server for 5xx).",
            "# TYPE iris_request_errors_total counter",
        ]
        for (path, method, kind, model), count in errors:
            labels = _labels([("path", path), ("method", method), ("kind", kind)] + _model(model))
            lines.append(f"iris_request_errors_total{labels} {count}")
        lines += [
            "# HELP iris_request_duration_seconds Time to answer an HTTP request, in seconds.",
            "# TYPE iris_request_duration_seconds histogram",
        ]
        for (path, method, model), (counts, total) in durations:
            base = [("path", path), ("method", method)] + _model(model)
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
    models = {}  # name -> Model, in MODELS order; set in main()
    default = None  # the Model /predict uses
    metrics = Metrics()

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        started = time.perf_counter()
        self._status, self._size = 500, 0
        route = self.path.split("?", 1)[0]
        label, used = route, ""
        try:
            if route.startswith("/models/"):
                name, _, rest = route[len("/models/") :].partition("/")
                label = "/models/{name}" if rest == "" else "/models/{name}/" + rest
                if rest not in ("", "predict"):
                    raise BadRequest(f"not found: {route}", 404)
                model = self.models.get(name)
                used = model.key if model else "other"
                if model is None:
                    raise UnknownModel(name, list(self.models))
                if rest == "":
                    if method != "GET":
                        raise BadRequest("method not allowed; use GET", 405)
                    self._send_json(200, {"name": model.key, **model.describe()})
                else:
                    self._predict(method, model)
            elif route == "/models":
                if method != "GET":
                    raise BadRequest("method not allowed; use GET", 405)
                self._send_json(
                    200,
                    {
                        "default": self.default.key,
                        "models": [{"name": m.key, **m.describe()} for m in self.models.values()],
                    },
                )
            elif route == "/health":
                if method != "GET":
                    raise BadRequest("method not allowed; use GET", 405)
                self._send_json(
                    200, {"status": "ok", **self.default.describe(), "models": list(self.models)}
                )
            elif route == "/metrics":
                if method != "GET":
                    raise BadRequest("method not allowed; use GET", 405)
                self._send(200, METRICS_CONTENT_TYPE, self.metrics.render().encode("utf-8"))
            elif route == "/predict":
                used = self.default.key
                self._predict(method, self.default)
            else:
                raise BadRequest(f"not found: {route}", 404)
        except UnknownModel as err:
            self._send_json(404, {"error": str(err), "models": err.known})
        except BadRequest as err:
            self._send_json(err.status, {"error": str(err)})
        except Exception as err:  # keep serving; report the failure
            log(f"error handling {method} {self.path}: {err!r}")
            self._send_json(500, {"error": "internal server error"})
        elapsed = time.perf_counter() - started
        self.metrics.observe(label, method, self._status, elapsed, used)
        elapsed_ms = elapsed * 1000
        log(
            f'{self.client_address[0]} "{self.requestline}" '
            f"{self._status} {self._size}B {elapsed_ms:.1f}ms"
        )

    def _predict(self, method, model):
        if method != "POST":
            raise BadRequest("method not allowed; use POST", 405)
        X = parse_instances(self._read_json(), model.n_features)
        labels, proba = model.predict(X)
        self._send_json(
            200,
            {
                "predictions": labels,
                "probabilities": np.round(proba, 6).tolist(),
            },
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
            predict = self.path.split("?", 1)[0].endswith("/predict")
            self.send_header("Allow", "POST" if predict else "GET")
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
        specs, default = model_specs(os.environ.get("MODELS", ""), model_path)
    except ValueError as err:
        print(f"invalid MODELS: {err}", file=sys.stderr)
        return 2
    models = {}
    for name, path in specs:
        try:
            models[name] = Model(path, name)
        except (OSError, KeyError, ValueError) as err:
            print(f"cannot load model {name} from {path}: {err}", file=sys.stderr)
            return 1
    Handler.models = models
    Handler.default = models[default]

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum, _frame):
        log(f"received {signal.Signals(signum).name}, shutting down")
        # shutdown() waits for serve_forever() to return, so call it elsewhere.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    for m in models.values():
        log(
            f"loaded {m.key} from {m.path}: {len(m.class_names)} classes {m.class_names}, "
            f"{m.n_features} features{' (default)' if m is Handler.default else ''}"
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
