"""An OpenAI-compatible LLM server over the tiny trigram model trained by train.py. Standard library only.

Endpoints
  GET  /v1/models            -> {"object": "list", "data": [{"id": MODEL_NAME, ...}]}
  POST /v1/chat/completions  <- {"model", "messages": [{"role", "content"}], "temperature",
                                 "top_p", "max_tokens", "stop", "seed", "stream",
                                 "stream_options": {"include_usage": true}}
                             -> one chat.completion, or with "stream": true server-sent events:
                                 data: {chat.completion.chunk}\n\n ... data: [DONE]\n\n
  POST /v1/completions       <- as chat, with "prompt" instead of "messages"; chunks carry "text"
  POST /v1/embeddings        <- {"model", "input": "text" or ["text", ...]}
                             -> {"data": [{"embedding": [EMBED_DIMS floats]}], "usage": {...}}
                                 (hashed character trigrams, L2-normalised)
  GET  /health               -> {"status": "ok", "model": MODEL_NAME}
  GET  /metrics              -> Prometheus text format 0.0.4: requests by path, method, status
                                 and model, errors, request duration, time to first token,
                                 prompt and generated tokens

The model continues the last user message (or the prompt) from its last two known words; a
seed makes the answer repeatable. Tokens are words and punctuation marks.

Environment
  PORT            port to listen on (default 8000)
  HOST            address to bind (default 0.0.0.0)
  MODEL_PATH      the trained model (default model/model.json next to this file)
  MODEL_NAME      the model id served (default aesop-trigram)
  TOKEN_DELAY_MS  pacing between tokens, as a GPU's decode step would (default 15)
  EMBED_DIMS      length of the embedding vectors (default 256)
  LLM_FAULT       for tests of clients, on streamed requests:
                    midstream  three tokens, then an error event and a dropped connection
                    drop       three tokens, then the connection dropped without a word
                    silent     the response headers, then nothing
"""

import bisect
import json
import math
import os
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ngram import Model, count_tokens

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BODY_BYTES = 1 << 20
MAX_TOKENS_LIMIT = 4096
ROUTES = ("/health", "/metrics", "/v1/models", "/v1/chat/completions", "/v1/completions", "/v1/embeddings")
METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAULTS = ("", "midstream", "drop", "silent")
SILENT_SECONDS = 600

_log_lock = threading.RLock()


def log(message):
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _log_lock:
        sys.stdout.write(f"{stamp} {message}\n")
        sys.stdout.flush()


class BadRequest(Exception):
    """A client error, answered in OpenAI's error shape with this status."""

    def __init__(self, message, status=400, kind="invalid_request_error"):
        super().__init__(message)
        self.status = status
        self.kind = kind


class ClientGone(Exception):
    """The client closed the connection (Stop, or a timeout) while tokens were being sent."""


# ---------------------------------------------------------------------------------- metrics


def _label_value(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs):
    return "{" + ",".join(f'{k}="{_label_value(v)}"' for k, v in pairs) + "}"


def _number(value):
    return "+Inf" if value == math.inf else repr(float(value))


class Histogram:
    def __init__(self, buckets):
        self.buckets = buckets
        self.series = {}  # labels tuple -> ([per-bucket counts..., +Inf], sum)

    def observe(self, labels, seconds):
        counts, total = self.series.get(labels, ([0] * (len(self.buckets) + 1), 0.0))
        counts[bisect.bisect_left(self.buckets, seconds)] += 1
        self.series[labels] = (counts, total + seconds)

    def render(self, name, help_text):
        lines = [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
        for labels, (counts, total) in sorted(self.series.items()):
            base = list(labels)
            cumulative = 0
            for bound, count in zip(self.buckets + (math.inf,), counts):
                cumulative += count
                lines.append(f"{name}_bucket{_labels(base + [('le', _number(bound))])} {cumulative}")
            lines.append(f"{name}_sum{_labels(base)} {_number(total)}")
            lines.append(f"{name}_count{_labels(base)} {cumulative}")
        return lines


class Metrics:
    """The request metrics of the iris sample (same labels and buckets), plus the LLM's own."""

    BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
    LONG_BUCKETS = BUCKETS + (30.0, 60.0)

    def __init__(self):
        self._lock = threading.Lock()
        self._requests = {}
        self._errors = {}
        self._durations = Histogram(self.LONG_BUCKETS)
        self._ttft = Histogram(self.BUCKETS)
        self._generated = {}
        self._prompt = {}

    def observe(self, route, method, status, seconds, model=""):
        path = route if route in ROUTES else "other"
        extra = (("model", model),) if model else ()
        with self._lock:
            key = (("path", path), ("method", method), ("status", str(status))) + extra
            self._requests[key] = self._requests.get(key, 0) + 1
            if status >= 400:
                kind = "client" if status < 500 else "server"
                key = (("path", path), ("method", method), ("kind", kind)) + extra
                self._errors[key] = self._errors.get(key, 0) + 1
            self._durations.observe((("path", path), ("method", method)) + extra, seconds)

    def first_token(self, route, model, seconds):
        with self._lock:
            self._ttft.observe((("path", route), ("model", model)), seconds)

    def tokens(self, route, model, prompt, generated):
        with self._lock:
            key = (("path", route), ("model", model))
            self._prompt[key] = self._prompt.get(key, 0) + prompt
            self._generated[key] = self._generated.get(key, 0) + generated

    def render(self):
        with self._lock:
            lines = [
                "# HELP llm_requests_total HTTP requests answered, by path, method, status and model.",
                "# TYPE llm_requests_total counter",
            ]
            lines += [f"llm_requests_total{_labels(k)} {n}" for k, n in sorted(self._requests.items())]
            lines += [
                "# HELP llm_request_errors_total HTTP requests answered with an error"
                " (kind: client for 4xx, server for 5xx).",
                "# TYPE llm_request_errors_total counter",
            ]
            lines += [f"llm_request_errors_total{_labels(k)} {n}" for k, n in sorted(self._errors.items())]
            lines += self._durations.render(
                "llm_request_duration_seconds", "Time to answer an HTTP request (to its last token), in seconds."
            )
            lines += self._ttft.render(
                "llm_time_to_first_token_seconds", "Request received to first generated token sent, in seconds."
            )
            lines += ["# HELP llm_prompt_tokens_total Prompt tokens read.", "# TYPE llm_prompt_tokens_total counter"]
            lines += [f"llm_prompt_tokens_total{_labels(k)} {n}" for k, n in sorted(self._prompt.items())]
            lines += [
                "# HELP llm_generation_tokens_total Tokens generated.",
                "# TYPE llm_generation_tokens_total counter",
            ]
            lines += [f"llm_generation_tokens_total{_labels(k)} {n}" for k, n in sorted(self._generated.items())]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------- requests


def _number_field(body, name, default, low, high, integer=False):
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadRequest(f'"{name}" must be a number')
    if integer and value != int(value):
        raise BadRequest(f'"{name}" must be a whole number')
    if not low <= value <= high:
        raise BadRequest(f'"{name}" must be between {low} and {high}, not {value}')
    return int(value) if integer else float(value)


def sampling(body):
    """The sampling parameters of a request body, checked."""
    stop = body.get("stop")
    if stop is None:
        stop = []
    elif isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop) or len(stop) > 4:
        raise BadRequest('"stop" must be a string or a list of at most 4 strings')
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest('"seed" must be an integer')
    return {
        "temperature": _number_field(body, "temperature", 1.0, 0.0, 2.0),
        "top_p": _number_field(body, "top_p", 1.0, 0.0, 1.0) or 1.0,
        "max_tokens": _number_field(body, "max_tokens", 64, 1, MAX_TOKENS_LIMIT, integer=True),
        "stop": stop,
        "seed": seed,
    }


def chat_prompt(body):
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest('"messages" must be a non-empty list of {"role", "content"}')
    texts = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool", "developer"):
            raise BadRequest(f"messages[{i}]: a role of system, user or assistant is needed")
        content = m.get("content")
        if isinstance(content, list):  # [{"type": "text", "text": ...}]
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            raise BadRequest(f"messages[{i}]: content must be text")
        texts.append((m["role"], content))
    last_user = next((c for r, c in reversed(texts) if r == "user"), texts[-1][1])
    prompt_tokens = sum(count_tokens(c) + 4 for _, c in texts)  # + role and separators, as chat templates add
    return last_user, prompt_tokens


def completion_prompt(body):
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise BadRequest('"prompt" must be a string')
    return prompt, count_tokens(prompt)


def embedding(text, dims):
    """Hashed character trigrams of the lower-cased text, signed, L2-normalised."""
    vector = [0.0] * dims
    padded = f"  {text.lower()} "
    for i in range(len(padded) - 2):
        h = zlib.crc32(padded[i : i + 3].encode("utf-8"))
        vector[h % dims] += 1.0 if (h >> 16) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [round(v / norm, 6) for v in vector]


class Handler(BaseHTTPRequestHandler):
    server_version = "llm-chat/1.0"
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # each token leaves at once
    model = None
    model_name = "aesop-trigram"
    token_delay = 0.015
    embed_dims = 256
    fault = ""
    metrics = Metrics()

    def log_message(self, fmt, *args):
        log("%s %s" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def _handle(self, method):
        started = time.perf_counter()
        route = self.path.split("?", 1)[0]
        self._status, self._model_label = 500, ""
        try:
            if route == "/health":
                self._only(method, "GET")
                self._send_json(200, {"status": "ok", "model": self.model_name})
            elif route == "/metrics":
                self._only(method, "GET")
                self._send(200, METRICS_CONTENT_TYPE, self.metrics.render().encode("utf-8"))
            elif route == "/v1/models":
                self._only(method, "GET")
                self._send_json(200, {"object": "list", "data": [self._model_card()]})
            elif route in ("/v1/chat/completions", "/v1/completions"):
                self._only(method, "POST")
                self._generate(route, self._read_json(), started)
            elif route == "/v1/embeddings":
                self._only(method, "POST")
                self._embeddings(self._read_json())
            else:
                raise BadRequest(f"not found: {route}", 404, "not_found_error")
        except BadRequest as err:
            self._send_json(err.status, {"error": {"message": str(err), "type": err.kind, "code": err.status}})
        except ClientGone:
            self._status = 499
            self.close_connection = True
        except Exception as err:  # noqa: BLE001 - an unexpected failure is answered, logged, and counted
            log(f"error on {method} {route}: {err!r}")
            try:
                self._send_json(500, {"error": {"message": "internal error", "type": "server_error", "code": 500}})
            except OSError:
                self.close_connection = True
        finally:
            self.metrics.observe(route, method, self._status, time.perf_counter() - started, self._model_label)

    # ---- helpers

    def _only(self, method, allowed):
        if method != allowed:
            raise BadRequest(f"method not allowed; use {allowed}", 405)

    def _model_card(self):
        return {"id": self.model_name, "object": "model", "created": 0, "owned_by": "berth-sample"}

    def _read_json(self):
        length = self.headers.get("Content-Length")
        if length is None:
            raise BadRequest("a JSON body with Content-Length is needed", 411)
        try:
            n = int(length)
        except ValueError:
            raise BadRequest("bad Content-Length") from None
        if n > MAX_BODY_BYTES:
            raise BadRequest(f"body larger than {MAX_BODY_BYTES} bytes", 413)
        try:
            body = json.loads(self.rfile.read(n) or b"null")
        except (ValueError, UnicodeDecodeError) as err:
            raise BadRequest(f"body is not JSON: {err}") from None
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        model = body.get("model")
        if model not in (None, "", self.model_name):
            self._model_label = "other"
            raise BadRequest(
                f"The model `{model}` does not exist. This server serves {self.model_name}.", 404, "not_found_error"
            )
        self._model_label = self.model_name
        return body

    def _send(self, status, content_type, data, extra=()):
        self._status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status, obj):
        self._send(status, "application/json", json.dumps(obj).encode("utf-8"))

    def _chunk(self, data):
        """One piece of a chunked body; a closed connection is the client gone."""
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as err:
            raise ClientGone() from err

    def _event(self, obj):
        self._chunk(b"data: " + (obj if isinstance(obj, bytes) else json.dumps(obj).encode("utf-8")) + b"\n\n")

    def _start_stream(self):
        self._status = 200
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _drop(self):
        """Close the connection at once, mid-body, as a crashed server would."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ---- generation

    def _generate(self, route, body, started):
        chat = route == "/v1/chat/completions"
        prompt, prompt_tokens = chat_prompt(body) if chat else completion_prompt(body)
        params = sampling(body)
        stream = body.get("stream") is True
        options = body.get("stream_options")
        include_usage = stream and isinstance(options, dict) and options.get("include_usage") is True
        rid = ("chatcmpl-" if chat else "cmpl-") + uuid.uuid4().hex[:24]
        created = int(time.time())
        obj = "chat.completion.chunk" if chat else "text_completion"

        def chunk(text, finish, first=False):
            if chat:
                delta = {"role": "assistant", "content": text} if first else ({"content": text} if text else {})
                choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            else:
                choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            out = {"id": rid, "object": obj, "created": created, "model": self.model_name, "choices": [choice]}
            if include_usage:
                out["usage"] = None
            return out

        tokens = self.model.generate(prompt, **params)
        if stream and self.fault == "silent":
            self._start_stream()
            deadline = time.monotonic() + SILENT_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.5)
            self._drop()
            return
        pieces, finish, n = [], "stop", 0
        t0 = time.perf_counter()
        if not stream:
            for text, reason in tokens:
                if reason is None:
                    n += 1
                    if n == 1:
                        self.metrics.first_token(route, self.model_name, time.perf_counter() - started)
                    else:
                        self._pace(t0, n)
                pieces.append(text)
                finish = reason or finish
            self.metrics.tokens(route, self.model_name, prompt_tokens, n)
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
            text = "".join(pieces)
            choice = (
                {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None, "finish_reason": finish}
                if chat
                else {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
            )
            kind = "chat.completion" if chat else "text_completion"
            self._send_json(
                200,
                {"id": rid, "object": kind, "created": created, "model": self.model_name, "choices": [choice], "usage": usage},
            )
            return
        # Streamed: the headers go out with the first token, the rest one by one at TOKEN_DELAY_MS.
        try:
            for text, reason in tokens:
                if reason is None:
                    n += 1
                    if n == 1:
                        self._start_stream()
                        self._event(chunk(text, None, first=True))
                        self.metrics.first_token(route, self.model_name, time.perf_counter() - started)
                        t0 = time.perf_counter()
                        continue
                    self._pace(t0, n - 1)
                    if self.fault in ("midstream", "drop") and n > 3:
                        if self.fault == "midstream":
                            self._event({"error": {"message": "the model failed mid-stream (LLM_FAULT=midstream)", "type": "server_error", "code": 500}})
                        self._drop()
                        self._status = 500
                        return
                    self._event(chunk(text, None))
                else:
                    if n == 0:
                        self._start_stream()
                    self._event(chunk(text, reason, first=n == 0))
            if include_usage:
                usage = {"prompt_tokens": prompt_tokens, "completion_tokens": n, "total_tokens": prompt_tokens + n}
                self._event({"id": rid, "object": obj, "created": created, "model": self.model_name, "choices": [], "usage": usage})
            self._event(b"[DONE]")
            self._chunk(b"")
        finally:
            self.metrics.tokens(route, self.model_name, prompt_tokens, n)

    def _pace(self, t0, i):
        """Sleep until the i-th token after the first is due."""
        delay = t0 + i * self.token_delay - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def _embeddings(self, body):
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) for t in inputs):
            raise BadRequest('"input" must be a string or a non-empty list of strings')
        if len(inputs) > 2048:
            raise BadRequest("at most 2048 inputs per request")
        data = [{"object": "embedding", "index": i, "embedding": embedding(t, self.embed_dims)} for i, t in enumerate(inputs)]
        tokens = sum(count_tokens(t) for t in inputs)
        self._send_json(
            200,
            {"object": "list", "data": data, "model": self.model_name, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
        )


def main():
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "0.0.0.0")
    path = os.environ.get("MODEL_PATH", os.path.join(HERE, "model", "model.json"))
    fault = os.environ.get("LLM_FAULT", "").strip().lower()
    if fault not in FAULTS:
        log(f"LLM_FAULT={fault!r} is not one of {', '.join(f for f in FAULTS if f)}")
        return 2
    try:
        Handler.model = Model.load(path)
    except (OSError, ValueError, KeyError) as err:
        log(f"cannot load the model {path}: {err}")
        return 1
    Handler.model_name = os.environ.get("MODEL_NAME", "aesop-trigram")
    Handler.token_delay = max(0.0, float(os.environ.get("TOKEN_DELAY_MS", "15"))) / 1000
    Handler.embed_dims = max(8, int(os.environ.get("EMBED_DIMS", "256")))
    Handler.fault = fault
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True

    def stop(signum, _frame):
        log(f"signal {signum}: stopping")
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    log(
        f"serving {Handler.model_name} ({len(Handler.model.unigram)} tokens known) on {host}:{port},"
        f" {Handler.token_delay * 1000:g} ms per token{f', fault {fault}' if fault else ''}"
    )
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
