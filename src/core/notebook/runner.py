"""Berth's notebook runner: executes a notebook's code cells, in order, in one Python process.

Usage: python3 runner.py PLAN.json             run the cells of a plan written by Berth
       python3 runner.py --wait SECONDS        wait for a plan on stdin (one JSON line), then run it
       python3 runner.py --probe MOD...        report the Python version and the versions of MODs

It needs only the standard library. Each cell's stdout and stderr are captured, the value of its
last expression is recorded as text/plain (like Jupyter's execute_result), display() and
matplotlib figures become display_data, and an exception becomes an error output with its
traceback. When the image has IPython, each cell's original source runs through IPython's own
shell instead (magics, ! lines, rich reprs and errors as a Jupyter kernel shows them); without
it, the cell's planned Python runs, in which Berth replaced IPython syntax by `pass`. Messages go
to the original stdout, one JSON object per line after a marker and this run's token (from the
plan), so output the cells write straight to file descriptor 1 can neither be mistaken for them
nor forge one; long messages go in pieces of less than 4 KiB. A cell's
output is bounded (head and tail kept, the rest cut and counted), and the process ends as soon as
the last cell is reported, whatever threads or child processes the cells left running.
"""

import ast
import base64
import builtins
import collections
import io
import json
import linecache
import os
import platform
import signal
import sys
import time
import traceback

MARKER = "\x1eberth:"
# The runner's own copy of the container's stdout. Cells write to the same pipe (straight to fd 1,
# or through child processes), so every message carries this run's token, which the plan brings
# and the cells are not told: a cell's output cannot be taken for a message, nor forge one.
_proto_fd = os.dup(1)
_token = ""
# A line of at most PIPE_BUF (4096) bytes is written whole: no other writer's bytes land inside a
# message. Longer messages go in pieces ("+" ... "=") that Berth joins; "." is a whole message.
PIECE = 3800


def _write(data):
    while data:
        data = data[os.write(_proto_fd, data):]


def send(message):
    text = json.dumps(message, ensure_ascii=True)
    prefix = MARKER + _token + " "
    if len(text) <= PIECE:
        _write((prefix + "." + text + "\n").encode("ascii"))
        return
    for start in range(0, len(text), PIECE):
        flag = "=" if start + PIECE >= len(text) else "+"
        _write((prefix + flag + text[start : start + PIECE] + "\n").encode("ascii"))


# What one cell's outputs may hold: the first and the last HEAD_CHARS/TAIL_CHARS of its streams
# (what lies between is cut and counted), rich outputs up to RICH_CHARS each and RICH_TOTAL in all.
HEAD_CHARS = 1 << 20
TAIL_CHARS = 1 << 20
RICH_CHARS = 8 << 20
RICH_TOTAL = 32 << 20


def package_versions(modules):
    """Version of the distribution providing each top-level module, without importing it."""
    import importlib.util

    try:
        from importlib import metadata
    except ImportError:  # Python < 3.8
        metadata = None
    providers = None

    def distributions_of(name):
        # packages_distributions() scans every installed package (tens of ms): only when needed
        nonlocal providers
        if providers is None:
            providers = {}
            if metadata is not None and hasattr(metadata, "packages_distributions"):
                try:
                    providers = metadata.packages_distributions()
                except Exception:
                    providers = {}
        return providers.get(name) or []

    def candidates(name):
        yield name
        for dist in distributions_of(name):
            if dist != name:
                yield dist

    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    out = {}
    for name in modules:
        if name in stdlib:
            out[name] = {"stdlib": True}
            continue
        try:
            spec = importlib.util.find_spec(name)
        except Exception:
            spec = None
        if spec is None:
            out[name] = {"missing": True}
            continue
        version = None
        if metadata is not None:
            # the distribution is usually named like the module (numpy); scikit-learn is not (sklearn)
            for dist in candidates(name):
                try:
                    version = metadata.version(dist)
                except Exception:
                    version = None
                if version:
                    out[name] = {"version": version, "distribution": dist}
                    break
        if not version:
            origin = getattr(spec, "origin", None) or ""
            out[name] = {"present": True, "stdlib": origin.startswith(sys.base_prefix) and "site-packages" not in origin and "dist-packages" not in origin}
    return out


def environment(modules):
    return {
        "t": "hello",
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        "packages": package_versions(modules),
    }


class _BinaryCapture(io.RawIOBase):
    """sys.stdout.buffer: bytes a cell writes are decoded as a terminal would show them."""

    def __init__(self, text):
        self._text = text

    def writable(self):
        return True

    def write(self, data):
        self._text.write(bytes(data).decode("utf-8", errors="replace"))
        return len(data)


class Capture(io.TextIOBase):
    """A stream that records what is written to it, in order, under its name, for the running cell.

    The same two objects stay installed as sys.stdout and sys.stderr for the whole run, so a
    logging handler made in one cell still writes into whichever cell is running later.
    """

    def __init__(self, name):
        self.name = name
        self.buffer = _BinaryCapture(self)

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        if text:
            current.add(self.name, text)
        return len(text)

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"


def _load_pretty():
    """pretty.pretty from the runner's folder (under a private name: a cell's own `pretty` module is not shadowed); repr without it."""
    try:
        import importlib.util

        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretty.py")
        spec = importlib.util.spec_from_file_location("_berth_pretty", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.pretty
    except Exception:  # run as `python3 -c` (the local probe), or the file is missing
        return repr


try:
    from IPython.lib.pretty import pretty as _pretty
except Exception:  # IPython is not needed: its printer's standard-library port, shipped next to this file
    _pretty = _load_pretty()

REPR_METHODS = (
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("image/svg+xml", "_repr_svg_"),
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)


def mime_bundle(obj):
    data = {}
    if not isinstance(obj, type):
        for mime, method in REPR_METHODS:
            fn = getattr(obj, method, None)
            if not callable(fn):
                continue
            try:
                value = fn()
            except Exception:
                continue
            if isinstance(value, tuple):
                value = value[0]
            if value is None:
                continue
            if isinstance(value, bytes):
                value = base64.b64encode(value).decode("ascii")
            elif mime == "application/json":
                value = json.dumps(value)
            data[mime] = str(value)
    try:
        data["text/plain"] = _pretty(obj)
    except Exception as err:  # a broken __repr__ is the cell's output, not the runner's failure
        data["text/plain"] = "<repr failed: %s: %s>" % (type(err).__name__, err)
    return data


class Cell:
    def __init__(self):
        self.events = []  # (stream name, text) in order, the head of the cell's output
        self.kept = 0  # characters in the head so far
        self.tail = collections.deque()  # the last TAIL_CHARS once the head is full
        self.tail_chars = 0
        self.cut = 0  # characters dropped between head and tail, not yet reported
        self.cut_total = 0
        self.rich = 0  # characters of rich output so far

    def add(self, name, text):
        room = HEAD_CHARS - self.kept
        if room > 0:
            head = text[:room]
            self.events.append((name, head))
            self.kept += len(head)
            text = text[room:]
            if not text:
                return
        self.tail.append((name, text))
        self.tail_chars += len(text)
        while self.tail_chars > TAIL_CHARS and self.tail:
            old_name, old = self.tail[0]
            excess = self.tail_chars - TAIL_CHARS
            if len(old) <= excess:
                self.tail.popleft()
                dropped = len(old)
            else:
                self.tail[0] = (old_name, old[excess:])
                dropped = excess
            self.tail_chars -= dropped
            self.cut += dropped
            self.cut_total += dropped

    def flush_streams(self, outputs):
        events = self.events
        if self.cut:
            name = self.tail[0][0] if self.tail else "stdout"
            events.append((name, "\n[... %d characters of output cut ...]\n" % self.cut))
            self.cut = 0
        events.extend(self.tail)
        for name, text in events:
            if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == name:
                outputs[-1]["text"] += text
            else:
                outputs.append({"output_type": "stream", "name": name, "text": text})
        self.events = []
        self.tail = collections.deque()
        self.tail_chars = 0

    def bounded(self, data):
        """A rich output's data, or a note in its place when it is too large to send."""
        size = sum(len(v) for v in data.values())
        if size <= RICH_CHARS and self.rich + size <= RICH_TOTAL:
            self.rich += size
            return data
        self.cut_total += size
        kinds = ", ".join(sorted(data))
        return {"text/plain": "[output (%s) of %d characters: too large to send]" % (kinds, size)}


current = Cell()
outputs = []


def display(*objs, **kwargs):
    for obj in objs:
        current.flush_streams(outputs)
        outputs.append({"output_type": "display_data", "data": current.bounded(mime_bundle(obj)), "metadata": {}})


def flush_figures():
    """Figures left open by a cell become PNG display outputs, as with Jupyter's inline backend."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        for num in plt.get_fignums():
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            current.flush_streams(outputs)
            outputs.append(
                {
                    "output_type": "display_data",
                    "data": current.bounded({"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": repr(fig)}),
                    "metadata": {},
                }
            )
        plt.close("all")
    except Exception as err:
        sys.stderr.write("berth runner: could not render a matplotlib figure: %s\n" % err)


class CellTimeout(BaseException):
    """Raised in the cell when it runs past its time; BaseException so `except Exception` cannot eat it."""


def on_alarm(signum, frame):
    raise CellTimeout()


def run_cell(code, name, namespace):
    """Execute one cell; the last expression's value is returned (None when there is none)."""
    # tracebacks show the cell's lines, as Jupyter's do
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    tree = ast.parse(code, filename=name, mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    if tree.body:
        exec(compile(tree, name, "exec"), namespace)
    if last is not None:
        return eval(compile(last, name, "eval"), namespace)
    return None


def format_error(err, name):
    tb = err.__traceback__
    # drop the runner's own frames: the traceback starts in the cell
    while tb is not None and tb.tb_frame.f_code.co_filename != name:
        tb = tb.tb_next
    lines = traceback.format_exception(type(err), err, tb)
    return {
        "output_type": "error",
        "ename": type(err).__name__,
        "evalue": str(err),
        "traceback": "".join(lines).rstrip("\n").split("\n"),
    }


class IPythonMode:
    """The cells run through an IPython InteractiveShell, as a Jupyter kernel runs them (no kernel).

    What the kernel sends as messages is captured instead, in nbformat form: the display
    publisher's display_data (ipykernel's ZMQDisplayPublisher), the display hook's execute_result
    (ZMQShellDisplayHook) and the shell's error with its traceback lines. Streams go through the
    runner's own capture, flushed before each rich output so the order is the kernel's.
    """

    def __init__(self):
        import tempfile

        import IPython
        from IPython.core import page, payloadpage
        from IPython.core.displayhook import DisplayHook
        from IPython.core.displaypub import DisplayPublisher
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        self.version = IPython.__version__
        # no profile or history written where the container's user may not write
        os.environ.setdefault("IPYTHONDIR", tempfile.mkdtemp(prefix="berth-ipython-"))
        mode = self
        # an update of a display shown by this cell, by display_id
        self.shown = {}

        class Publisher(DisplayPublisher):
            def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kwargs):
                mode.publish(data, metadata, transient or {}, update)

            def clear_output(self, wait=False):
                mode.clear(wait)

        class Hook(DisplayHook):
            def start_displayhook(self):
                self.result = None

            def write_output_prompt(self):
                pass

            def write_format_data(self, format_dict, md_dict=None):
                self.result = (format_dict, md_dict or {})

            def finish_displayhook(self):
                if self.result is not None:
                    mode.result(self.result[0], self.result[1], self.prompt_count)
                self.result = None

        class Shell(InteractiveShell):
            def _showtraceback(self, etype, evalue, stb):
                mode.error(etype, evalue, stb)

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = Shell.instance(config=config, display_pub_class=Publisher, displayhook_class=Hook)
        # help (obj?) goes to Jupyter's pager, not to the cell's outputs
        self.shell.set_hook("show_in_pager", page.as_hook(payloadpage.page), 99)
        self.clear_wait = False
        self.timed_out = False

    def _pending_clear(self):
        if self.clear_wait:
            self.clear_wait = False
            self.clear(False)

    def _add(self, output, display_id=None):
        self._pending_clear()
        current.flush_streams(outputs)
        outputs.append(output)
        if display_id is not None:
            self.shown.setdefault(display_id, []).append(output)

    def publish(self, data, metadata, transient, update):
        data = nb_data(data)
        display_id = transient.get("display_id")
        if update:
            # Jupyter replaces the display in place; one shown by an earlier cell is already sent
            for output in self.shown.get(display_id, []):
                output["data"] = current.bounded(data)
                output["metadata"] = metadata or {}
            return
        self._add({"output_type": "display_data", "data": current.bounded(data), "metadata": metadata or {}}, display_id)

    def clear(self, wait):
        if wait:
            self.clear_wait = True
            return
        current.flush_streams(outputs)
        del outputs[:]
        self.shown = {}

    def result(self, data, metadata, count):
        self._add({"output_type": "execute_result", "data": current.bounded(nb_data(data)), "metadata": metadata, "execution_count": count})

    def error(self, etype, evalue, stb):
        if isinstance(evalue, CellTimeout):
            self.timed_out = True
            return
        self._pending_clear()
        current.flush_streams(outputs)
        outputs.append({"output_type": "error", "ename": etype.__name__, "evalue": str(evalue), "traceback": list(stb)})

    def run(self, cell):
        """Run one cell's original source; True when it ran past its time."""
        self.shown = {}
        self.clear_wait = False
        self.timed_out = False
        self.shell.execution_count = cell["ordinal"]
        try:
            self.shell.run_cell(cell.get("original", cell["source"]), store_history=True)
        except CellTimeout:
            self.timed_out = True
        self.shell.payload_manager.clear_payload()
        return self.timed_out


def nb_data(data):
    """A MIME bundle as nbformat stores it: binary as base64, JSON types as JSON, the rest as text."""
    out = {}
    for mime, value in data.items():
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif not (mime == "application/json" or mime.endswith("+json")) and not isinstance(value, str):
            value = str(value)
        out[mime] = value
    return out


def ipython_mode(plan):
    """The IPython shell to run the cells through, when the image has IPython (and the plan allows it)."""
    if plan.get("ipython") is False:
        return None
    try:
        return IPythonMode()
    except ImportError:
        return None
    except Exception as err:  # an IPython that cannot start: the cells still run, without it
        sys.stderr.write("berth runner: IPython is installed but could not start (%s: %s); running without it\n" % (type(err).__name__, err))
        return None


def main(plan_path):
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    # the cells need not find the token: the plan is removed where the container's user may
    try:
        os.remove(plan_path)
    except OSError:
        pass
    run_plan(plan)
    finish()


def finish():
    """End the process now: a thread or a child a cell left running does not keep it (or the container) alive."""
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)


def run_plan(plan):
    global current, outputs, _token
    _token = str(plan.get("token") or "")
    # per-run environment (e.g. this run's own OUTPUT_DIR, when the container serves several runs' folders)
    for key, value in (plan.get("env") or {}).items():
        os.environ[key] = value
    cwd = plan.get("cwd")
    if cwd:
        os.chdir(cwd)
    # like a Jupyter kernel: the notebook's folder is importable
    sys.path.insert(0, os.getcwd())
    real_stdout, real_stderr = sys.stdout, sys.stderr
    captured_stdout, captured_stderr = Capture("stdout"), Capture("stderr")
    shell = ipython_mode(plan)
    hello = environment(plan.get("modules", []))
    if shell is not None:
        hello["ipython"] = shell.version
    send(hello)
    timeout = int(plan.get("timeout") or 0)
    if timeout > 0 and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, on_alarm)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": display}
    for cell in plan["cells"]:
        if shell is None and cell.get("ipythonOnly"):
            continue  # a cell magic only IPython runs: Berth reports it skipped
        index = cell["index"]
        name = "<cell %d>" % cell["ordinal"]
        send({"t": "start", "index": index})
        current = Cell()
        outputs = []
        sys.stdout, sys.stderr = captured_stdout, captured_stderr
        timed_out = False
        started = time.perf_counter()
        try:
            if timeout > 0:
                signal.alarm(timeout)
            if shell is not None:
                timed_out = shell.run(cell)
                value = None
            else:
                value = run_cell(cell["source"], name, namespace)
            if timeout > 0:
                signal.alarm(0)
            if timed_out:
                raise CellTimeout()
            flush_figures()
            if value is not None:
                namespace["_"] = value
                current.flush_streams(outputs)
                outputs.append(
                    {"output_type": "execute_result", "data": current.bounded(mime_bundle(value)), "metadata": {}, "execution_count": cell["ordinal"]}
                )
        except CellTimeout:
            timed_out = True
            current.flush_streams(outputs)
            outputs.append(
                {"output_type": "error", "ename": "TimeoutError", "evalue": "the cell ran longer than %d s" % timeout, "traceback": []}
            )
        except (Exception, KeyboardInterrupt, SystemExit) as err:
            if timeout > 0:
                signal.alarm(0)
            flush_figures()
            current.flush_streams(outputs)
            outputs.append(format_error(err, name))
        finally:
            if timeout > 0:
                signal.alarm(0)
            elapsed = (time.perf_counter() - started) * 1000.0
            sys.stdout, sys.stderr = real_stdout, real_stderr
        current.flush_streams(outputs)
        send({"t": "cell", "index": index, "outputs": outputs, "ms": elapsed, "timedOut": timed_out, "cut": current.cut_total})
    send({"t": "end"})


def wait_for_plan(idle_seconds):
    """Started ahead of time: wait until Berth writes a plan (one JSON line) to stdin, then run it.

    Nobody coming within idle_seconds (or stdin closing): exit 3.
    """
    import select

    # IPython's import is most of its start-up: done while waiting, the plan runs at once
    try:
        import IPython.core.interactiveshell  # noqa: F401
    except Exception:
        pass
    ready, _, _ = select.select([sys.stdin], [], [], idle_seconds)
    line = sys.stdin.readline() if ready else ""
    if not line.strip():
        sys.exit(3)
    plan = json.loads(line)
    # the cells get no stdin, as in a run started for them
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull, encoding="utf-8")
    run_plan(plan)
    finish()


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--probe":
        send(environment(sys.argv[2:]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--wait":
        wait_for_plan(float(sys.argv[2]))
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
