"""Differential check of Berth's pretty printer (src/core/notebook/pretty.py) against IPython's.

Usage: python3 prettyDifferential.py PATH/TO/pretty.py [REPORT.json]

Prints every value of a few hundred, named and generated (nested containers around the 79-column
boundary, types, functions, collections, regexes, numpy when installed, cycles, objects with
_repr_pretty_), with IPython.lib.pretty.pretty and with Berth's port, and writes one JSON line
(to stdout, and to REPORT.json when given): {"cases": N, "equal": N, "wrapped": N, "unlikeRepr":
N, "formatterAgrees": N, "mismatches": [the first 20], ...}; formatterAgrees counts the cases where
an IPython shell's text/plain formatter (what Jupyter saves) prints what pretty does. Exit status 0 when every case printed the same, 1
otherwise, 2 when IPython is missing. PRETTY_GENERATED (260) and PRETTY_SEED (12) set how many
values are generated, and from which seed.
"""

import importlib.util
import json
import os
import random
import sys

try:
    import IPython
    from IPython.lib.pretty import pretty as ipython_pretty
except ImportError as err:
    sys.stdout.write(json.dumps({"error": "IPython is not installed: %s" % err}) + "\n")
    sys.exit(2)

spec = importlib.util.spec_from_file_location("berth_pretty", sys.argv[1])
berth = importlib.util.module_from_spec(spec)
spec.loader.exec_module(berth)

try:
    import numpy
except ImportError:
    numpy = None

# Definitions made as a notebook cell makes them: in a module called __main__.
SETUP = r'''
import array, collections, datetime, decimal, enum, fractions, functools, os, re, sys, time, types, dataclasses, unittest.mock

class Foo:
    pass

class Outer:
    class Inner:
        pass
    def method(self, x, *, flag=False):
        return x
    @classmethod
    def make(cls):
        return cls()
    @staticmethod
    def helper(a, b=1):
        return a

class WithRepr:
    def __init__(self, text):
        self.text = text
    def __repr__(self):
        return self.text

class Pretty:
    """A _repr_pretty_ that uses groups and breakables, as libraries do."""
    def __init__(self, items):
        self.items = items
    def _repr_pretty_(self, p, cycle):
        if cycle:
            p.text("Pretty(...)")
            return
        with p.group(7, "Pretty(", ")"):
            for idx, item in enumerate(self.items):
                if idx:
                    p.text(",")
                    p.breakable()
                p.pretty(item)

class PlainPretty:
    def _repr_pretty_(self, p, cycle):
        p.text("plain pretty text")
        p.break_()
        p.text("second line")

class MyList(list):
    pass

class MyListRepr(list):
    def __repr__(self):
        return "MyListRepr(%s)" % list.__repr__(self)

class MyDict(dict):
    pass

class MyError(Exception):
    pass

class Color(enum.Enum):
    RED = 1
    GREEN = 2

@dataclasses.dataclass
class Point:
    x: int
    y: int

Pair = collections.namedtuple("Pair", "left right")

def f(a, b=2, *args, c, d=None, **kwargs):
    return a

def g():
    pass

async def coro(x):
    return x

square = lambda x: x * x

class Meta(type):
    def __repr__(cls):
        return "<Meta class %s>" % cls.__name__

class WithMeta(metaclass=Meta):
    pass

class Child(Foo):
    def __init__(self):
        self.sup = super()
'''

NAMED = r'''
3
-12345678901234567890
3.25
1e300
float("nan")
float("inf")
complex(1, -2)
True
None
Ellipsis
NotImplemented
"text"
"a 'quoted' \"string\""
"multi\nline\tstring"
"ünïcödé ✓"
"x" * 120
b"bytes\x00\xff"
bytearray(b"abc")
type(3)
int
float
str
list
dict
type
object
type(None)
type(...)
Foo
Outer.Inner
Foo()
[Foo(), Foo()]
Child().sup
[int, str, float]
(int, str)
{int: str}
{"types": [int, float, complex, bool, bytes, str, list, tuple, dict, set, frozenset, type, object]}
f
g
coro
square
len
print
sorted
max
isinstance
[].append
"".join
dict.fromkeys
Outer.method
Outer().method
Outer.make
Outer.helper
Outer.__init__
object.__init__
[f, g, len]
[]
[1]
[1, 2, 3]
list(range(10))
list(range(30))
list(range(100))
list(range(1500))
()
(1,)
((1,),)
(1, 2)
((1,), (2,), ((3,),))
tuple(range(40))
{}
{"b": 1, "a": 2}
{3: "c", 1: "a", 2: "b"}
{k: k * k for k in range(40)}
{"key%d" % k: list(range(k)) for k in range(12)}
{"nested": {"deeper": {"deepest": list(range(25))}}}
set()
frozenset()
{3, 1, 2}
{"b", "a", "c"}
{1, "a", 2.5, None}
set(range(50))
set(range(1000))
set(range(1200))
frozenset({3, 1, 2})
frozenset(range(40))
{frozenset({1, 2}), frozenset({0})}
collections.defaultdict(list)
collections.defaultdict(int, {"a": 1, "b": 2})
collections.defaultdict(None, {1: 2})
collections.defaultdict(lambda: 0, {"x": 1})
collections.defaultdict(list, {k: list(range(k)) for k in range(10)})
collections.Counter()
collections.Counter("abracadabra")
collections.Counter({"word%d" % k: k for k in range(30)})
collections.OrderedDict()
collections.OrderedDict([("b", 1), ("a", 2)])
collections.OrderedDict((k, str(k) * 3) for k in range(25))
collections.deque()
collections.deque([1, 2, 3])
collections.deque(range(50), maxlen=60)
collections.UserList([1, 2, 3])
collections.UserDict({"a": 1})
range(10)
range(0, 100, 7)
slice(1, 10, 2)
re.compile("abc")
re.compile(r"\d+\s*")
re.compile("a", re.IGNORECASE | re.MULTILINE)
re.compile(b"bytes", re.DOTALL)
re.compile("x" * 90, re.VERBOSE)
re.compile("a", re.ASCII)
types.SimpleNamespace()
types.SimpleNamespace(a=1, b="two", c=[1, 2, 3])
types.SimpleNamespace(**{"field%d" % k: k for k in range(20)})
types.MappingProxyType({"a": 1, "b": [1, 2]})
ValueError("bad value")
KeyError("k", 2)
MyError("custom", [1, 2])
StopIteration()
OSError(2, "No such file")
[ValueError("x" * 40), ValueError("y" * 40)]
Color
Color.RED
[Color.RED, Color.GREEN]
WithMeta
Point(1, 2)
[Point(k, k) for k in range(10)]
Pair(1, 2)
[Pair(k, "v" * k) for k in range(8)]
datetime.datetime(2024, 1, 2, 3, 4, 5)
datetime.date(2024, 1, 2)
datetime.timedelta(days=1, seconds=5)
decimal.Decimal("1.10")
fractions.Fraction(3, 4)
WithRepr("line one\nline two\nline three")
[WithRepr("a\nb"), WithRepr("c\nd")]
{"k": WithRepr("first\nsecond")}
(WithRepr("x\ny"),)
Pretty([1, 2, 3])
Pretty(list(range(40)))
[Pretty(["a" * 30, "b" * 30]), Pretty(["c" * 30])]
PlainPretty()
[PlainPretty(), 1]
MyList([1, 2, 3])
MyList(range(40))
MyListRepr([1, 2])
MyDict(a=1)
[[1, 2, 3], [4, 5, 6], [7, 8, 9]]
[[k] * 10 for k in range(10)]
[list(range(k)) for k in range(15)]
[{"a": k, "b": [k] * k} for k in range(8)]
[("x" * k, k) for k in range(1, 20)]
{"a" * 70: "b" * 70}
["x" * 100]
["x" * 100, "y"]
("x" * 77,)
["x" * 75]
["x" * 76]
["x" * 77]
[["x" * 72]]
[["x" * 73]]
[["x" * 74]]
{"k": ["x" * 68]}
{"k": ["x" * 69]}
{"k": ["x" * 70]}
os
object()
[object(), Foo()]
iter([1, 2])
(k for k in range(3))
functools.partial(f, 1, c=2)
property(lambda self: 1)
staticmethod(g)
unittest.mock.Mock(name="m")
[unittest.mock.MagicMock(name="mm")]
{"a": 1, "b": 2}.keys()
{"a": 1, "b": 2}.items()
dict.fromkeys(range(30)).values()
memoryview(b"abc")
array.array("i", range(40))
sys.flags
time.gmtime(0)
enum.IntFlag("Perm", "R W X").R | enum.IntFlag("Perm", "R W X").W
Foo.__dict__
Outer.__mro__
[NotImplemented, Ellipsis, None, True, False]
complex(0, 1) * 10 ** 40
[1.0, -0.0, 1e-300, 1.5e300, float("-inf")]
"x" * 30 + "\n" + "y" * 30
[b"x" * 50, b"y" * 50]
{"multiline": "a\nb", "tab": "\t"}
[[[[[[[[[[1]]]]]]]]]]
[[[[[[[[[[list(range(20))]]]]]]]]]]
{(1, 2): {(3, 4): {(5, 6): list(range(30))}}}
{frozenset({1, 2}): "x" * 70, frozenset(): "y"}
ValueError(list(range(30)))
decimal.Decimal(1) / decimal.Decimal(7)
[fractions.Fraction(k, 7) for k in range(12)]
'''

NUMPY = r'''
numpy.ndarray
numpy.float64
numpy.dtype
numpy.array([1, 2, 3])
numpy.arange(12).reshape(3, 4)
numpy.arange(100)
numpy.arange(2000)
numpy.linspace(0, 1, 11)
numpy.zeros((2, 3, 4))
numpy.eye(3)
[numpy.eye(2), numpy.eye(2)]
{"a": numpy.arange(5), "b": numpy.eye(2)}
(numpy.arange(3),)
numpy.float64(0.5)
numpy.int64(3)
numpy.bool_(True)
numpy.float32(1.5)
[numpy.float64(0.1), numpy.int32(7)]
numpy.dtype("float32")
numpy.array(["a", "b"])
numpy.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
numpy.random.default_rng(0).random(30)
numpy.sum
numpy.array
[numpy.ndarray, numpy.float64, int]
'''


def namespace():
    ns = {"__name__": "__main__"}
    exec(compile(SETUP, "<setup>", "exec"), ns)
    if numpy is not None:
        ns["numpy"] = numpy
    return ns


def named_cases(ns):
    cases = []
    sources = [s for s in NAMED.strip().split("\n") if s.strip()]
    if numpy is not None:
        sources += [s for s in NUMPY.strip().split("\n") if s.strip()]
    for source in sources:
        cases.append((source, eval(source, ns), 79))
    # cycles
    looped = [1, 2]
    looped.append(looped)
    cases.append(("list containing itself", looped, 79))
    d = {"a": 1}
    d["self"] = d
    cases.append(("dict containing itself", d, 79))
    outer = [1]
    inner = (outer, 2)
    outer.append(inner)
    cases.append(("list -> tuple -> list", outer, 79))
    shared = [1, 2]
    cases.append(("the same list twice (no cycle)", [shared, shared], 79))
    dd = ns["collections"].defaultdict(list)
    dd["me"] = dd
    cases.append(("defaultdict containing itself", dd, 79))
    pretty_loop = ns["Pretty"]([1])
    pretty_loop.items.append(pretty_loop)
    cases.append(("_repr_pretty_ with a cycle", pretty_loop, 79))
    ns_loop = ns["types"].SimpleNamespace(a=1)
    ns_loop.me = ns_loop
    cases.append(("namespace containing itself", ns_loop, 79))
    deq = ns["collections"].deque([1])
    deq.append(deq)
    cases.append(("deque containing itself", deq, 79))
    od = ns["collections"].OrderedDict(a=1)
    od["me"] = od
    cases.append(("OrderedDict containing itself", od, 79))
    counter = ns["collections"].Counter(a=1)
    counter["me"] = 1
    cases.append(("Counter", counter, 79))
    return cases


def generated_cases(ns, count):
    """Nested containers of mixed leaves, sized so that many fall either side of the width."""
    rng = random.Random(int(os.environ.get("PRETTY_SEED", "12")))
    leaves = [
        lambda: rng.randint(-10, 10),
        lambda: rng.randint(0, 10 ** rng.randint(1, 18)),
        lambda: round(rng.uniform(-1000, 1000), rng.randint(0, 6)),
        lambda: "s" * rng.randint(0, 30),
        lambda: "".join(rng.choice("abc xyz'\"\\\n") for _ in range(rng.randint(0, 12))),
        lambda: None,
        lambda: rng.choice([True, False]),
        lambda: rng.choice([int, str, float, ns["Foo"], ns["Outer"].Inner, type(None)]),
        lambda: rng.choice([ns["f"], ns["g"], len, ns["square"], sorted]),
        lambda: rng.choice([(), (1,), ("one",), [], {}]),
    ]

    def leaf():
        return rng.choice(leaves)()

    def hashable_leaf():
        if rng.random() < 0.15:
            # a long key: its group and its value's are siblings with no separator between them
            return tuple(rng.randint(0, 10 ** rng.randint(1, 5)) for _ in range(rng.randint(2, 14)))
        value = leaf()
        while isinstance(value, (list, dict)):
            value = leaf()
        return value

    def build(depth):
        if depth <= 0 or rng.random() < 0.3:
            return leaf()
        kind = rng.choice(["list", "list", "tuple", "dict", "set", "frozenset", "nested"])
        size = rng.randint(0, 9)
        if kind == "list":
            return [build(depth - 1) for _ in range(size)]
        if kind == "tuple":
            return tuple(build(depth - 1) for _ in range(size))
        if kind == "dict":
            return {hashable_leaf(): build(depth - 1) for _ in range(size)}
        if kind == "set":
            return {hashable_leaf() for _ in range(size)}
        if kind == "frozenset":
            return frozenset(rng.randint(0, 10 ** rng.randint(1, 6)) for _ in range(size))
        return [[build(depth - 2) for _ in range(rng.randint(0, 4))] for _ in range(rng.randint(1, 4))]

    cases = []
    for k in range(count):
        value = build(rng.randint(1, 4))
        cases.append(("generated #%d" % k, value, 79))
    # around the boundary: lists of numbers whose repr is 70 to 90 columns, alone and nested
    for target in range(70, 91):
        items = []
        while len(repr(items)) < target:
            items.append(rng.randint(0, 999))
        cases.append(("list of %d columns" % len(repr(items)), items, 79))
        cases.append(("nested list of %d columns" % len(repr(items)), [items, items[: len(items) // 2]], 79))
        cases.append(("dict value of %d columns" % len(repr(items)), {"key": items}, 79))
        strings = []
        while len(repr(strings)) < target:
            strings.append("w" * rng.randint(1, 9))
        cases.append(("strings of %d columns" % len(repr(strings)), strings, 79))
    # a key and its value: two groups side by side, no separator between them
    for width in range(4, 60, 3):
        key = tuple(range(width // 2))
        cases.append(("tuple key of %d items" % len(key), {key: list(range(width)), (1, 2): "x" * width}, 79))
    # other widths, to exercise every way a group can break
    for k in range(60):
        width = rng.choice([1, 10, 20, 40, 60, 100, 120])
        cases.append(("width %d #%d" % (width, k), build(3), width))
    return cases


def display_formatter():
    """The text/plain formatter of an IPython shell: what Jupyter saves (None if no shell can be made)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell

        return InteractiveShell.instance().display_formatter.formatters["text/plain"]
    except Exception:
        return None


def main():
    ns = namespace()
    cases = named_cases(ns) + generated_cases(ns, int(os.environ.get("PRETTY_GENERATED", "260")))
    formatter = display_formatter()
    mismatches = []
    wrapped = 0
    unlike_repr = 0
    formatter_agrees = 0
    for label, value, width in cases:
        try:
            expected = ipython_pretty(value, max_width=width)
        except Exception as err:
            expected = "<raised %s>" % type(err).__name__
        if formatter is not None:
            # the shell's display formatter (what Jupyter saves) prints as pretty does
            formatter.max_width = width
            if formatter(value) == expected:
                formatter_agrees += 1
        try:
            got = berth.pretty(value, max_width=width)
        except Exception as err:
            got = "<raised %s: %s>" % (type(err).__name__, err)
        if got != expected:
            mismatches.append({"case": label, "width": width, "ipython": expected, "berth": got})
        if "\n" in expected:
            wrapped += 1
        try:
            if expected != repr(value):
                unlike_repr += 1
        except Exception:
            pass
    report = {
        "cases": len(cases),
        "equal": len(cases) - len(mismatches),
        "wrapped": wrapped,
        "unlikeRepr": unlike_repr,
        "formatterAgrees": formatter_agrees if formatter is not None else None,
        "numpy": numpy.__version__ if numpy is not None else None,
        "ipython": IPython.__version__,
        "python": sys.version.split()[0],
        "mismatches": mismatches[:20],
    }
    line = json.dumps(report) + "\n"
    sys.stdout.write(line)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(line)
    sys.exit(0 if not mismatches else 1)


if __name__ == "__main__":
    main()
