"""Berth's notebook runner: executes a notebook's code cells, in order, in one Python process.

Usage: python3 runner.py PLAN.json             run the cells of a plan written by Berth
       python3 runner.py --wait SECONDS        wait for a plan on stdin (one JSON line), then run it
       python3 runner.py --probe MOD...        report the Python version and the versions of MODs

It needs only the standard library. Each cell's stdout and stderr are captured, the value of its
last expression is recorded as text/plain (like Jupyter's execute_result), display() and
matplotlib figures become display_data, and an exception becomes an error output with its
traceback. Messages go to the original stdout, one JSON object per line after a marker, so output
the cells write straight to file descriptor 1 cannot be mistaken for them.
"""

import ast
import base64
import builtins
import io
import json
import linecache
import os
import platform
import signal
import sys
import time
import traceback

MARKER = "\x1eberth "
_proto = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace")


def send(message):
    _proto.write(MARKER + json.dumps(message, ensure_ascii=True) + "\n")
    _proto.flush()


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


class Capture(io.TextIOBase):
    """A stream that records what is written to it, in order, under its name, for the running cell.

    The same two objects stay installed as sys.stdout and sys.stderr for the whole run, so a
    logging handler made in one cell still writes into whichever cell is running later.
    """

    def __init__(self, name):
        self.name = name

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            text = str(text)
        if text:
            current.events.append((self.name, text))
        return len(text)

    def isatty(self):
        return False

    @property
    def encoding(self):
        return "utf-8"


try:
    from IPython.lib.pretty import pretty as _pretty
except Exception:  # IPython is not needed
    _pretty = repr

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
        self.events = []  # (stream name, text) in order

    def flush_streams(self, outputs):
        for name, text in self.events:
            if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == name:
                outputs[-1]["text"] += text
            else:
                outputs.append({"output_type": "stream", "name": name, "text": text})
        self.events = []


current = Cell()
outputs = []


def display(*objs, **kwargs):
    for obj in objs:
        current.flush_streams(outputs)
        outputs.append({"output_type": "display_data", "data": mime_bundle(obj), "metadata": {}})


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
                    "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"), "text/plain": repr(fig)},
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


def main(plan_path):
    with open(plan_path, encoding="utf-8") as f:
        run_plan(json.load(f))


def run_plan(plan):
    global current, outputs
    # per-run environment (e.g. this run's own OUTPUT_DIR, when the container serves several runs' folders)
    for key, value in (plan.get("env") or {}).items():
        os.environ[key] = value
    cwd = plan.get("cwd")
    if cwd:
        os.chdir(cwd)
    # like a Jupyter kernel: the notebook's folder is importable
    sys.path.insert(0, os.getcwd())
    send(environment(plan.get("modules", [])))
    timeout = int(plan.get("timeout") or 0)
    if timeout > 0 and hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, on_alarm)
    namespace = {"__name__": "__main__", "__builtins__": builtins, "display": display}
    real_stdout, real_stderr = sys.stdout, sys.stderr
    captured_stdout, captured_stderr = Capture("stdout"), Capture("stderr")
    for cell in plan["cells"]:
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
            value = run_cell(cell["source"], name, namespace)
            if timeout > 0:
                signal.alarm(0)
            flush_figures()
            if value is not None:
                namespace["_"] = value
                current.flush_streams(outputs)
                outputs.append({"output_type": "execute_result", "data": mime_bundle(value), "metadata": {}, "execution_count": cell["ordinal"]})
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
        send({"t": "cell", "index": index, "outputs": outputs, "ms": elapsed, "timedOut": timed_out})
    send({"t": "end"})


def wait_for_plan(idle_seconds):
    """Started ahead of time: wait until Berth writes a plan (one JSON line) to stdin, then run it.

    Nobody coming within idle_seconds (or stdin closing): exit 3.
    """
    import select

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
