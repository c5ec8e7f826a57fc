"""The text Jupyter shows for a value, without IPython: a standard-library port of IPython's pretty printer.

Jupyter records a cell's value as text/plain through IPython.lib.pretty (IPython's
PlainTextFormatter, 79 columns): `type(3)` is `int`, a long list is wrapped one item a line,
sets are sorted, `collections` types read as calls. Berth's runner uses IPython's own printer when
the image has IPython and this module when it does not, so that a notebook saved by Jupyter
compares equal in a slim image. Only the standard library is used; Python 3.7 and later.

The layout algorithm is the one of IPython's RepresentationPrinter (itself after Ruby's
prettyprint, a Wadler/Oppen printer): text and breakable separators are buffered; groups nest,
are queued by depth, and when the buffered line runs past the width the outermost group with
separators still pending is broken (all of its separators become newlines at their
indentation). The choice of which printer an object gets follows IPython's: the registered
builtin types along the class's MRO, the `collections` types by name, `_repr_pretty_`, a class's
own `__repr__`, and `<module.Class at 0x...>` for an object with none. Its quirks are kept on
purpose (they decide where lines break); they are marked below.

Objects with `_repr_pretty_(self, p, cycle)` receive this module's printer, which offers the
same methods (text, breakable, break_, begin_group/end_group, group, indent, pretty).

IPython is BSD licensed: (c) 2007 Armin Ronacher, portions (c) 2009 Robert Kern, the IPython
Development Team.
"""

import collections
import contextlib
import datetime
import io
import os
import platform
import re
import types

__all__ = ["pretty", "PrettyPrinter", "RepresentationPrinter", "CallExpression", "RawText", "RawStringLiteral"]

# At most this many items of a container are shown; the rest is "...".
MAX_SEQ_LENGTH = 1000

_BUILTIN_MODULES = ("__builtin__", "builtins", "exceptions")


def pretty(obj, verbose=False, max_width=79, newline="\n", max_seq_length=MAX_SEQ_LENGTH):
    """The text IPython shows for obj (IPython.lib.pretty.pretty)."""
    out = io.StringIO()
    printer = RepresentationPrinter(out, verbose, max_width, newline, max_seq_length=max_seq_length)
    printer.pretty(obj)
    printer.flush()
    return out.getvalue()


def _attr(obj, name, default=None):
    """getattr that answers default whatever the attribute lookup raises."""
    try:
        return getattr(obj, name, default)
    except Exception:
        return default


# ---------------------------------------------------------------------------------------------
# the layout engine


class _Group(object):
    """A run of output that is broken as a whole: all of its separators, or none."""

    def __init__(self, depth):
        self.depth = depth
        self.breakables = collections.deque()  # its separators still in the buffer, oldest first
        self.want_break = False


class _GroupQueue(object):
    """Open groups by depth: the outermost group with pending separators is broken first."""

    def __init__(self, root):
        self.levels = []
        self.enq(root)

    def enq(self, group):
        while len(self.levels) <= group.depth:
            self.levels.append([])
        self.levels[group.depth].append(group)

    def deq(self):
        """Mark the group to break and return it; None when no group has a separator to break."""
        for level in self.levels:
            # Quirk kept from IPython: the candidate is found scanning from the newest group of the
            # level, but the entry removed from the level is the one at the same position counted
            # from the oldest. It decides which groups can be broken later, so lines break where
            # Jupyter's do.
            position = 0
            for group in reversed(level):
                if group.breakables:
                    del level[position]
                    group.want_break = True
                    return group
                position += 1
            # no pending separator at this depth: its groups break wherever a separator comes later
            for group in level:
                group.want_break = True
            del level[:]
        return None

    def remove(self, group):
        level = self.levels[group.depth]
        if group in level:
            level.remove(group)


class _Text(object):
    def __init__(self):
        self.parts = []
        self.width = 0

    def add(self, text, width):
        self.parts.append(text)
        self.width += width

    def output(self, stream, column):
        stream.write("".join(self.parts))
        return column + self.width


class _Breakable(object):
    """A separator: its text on the line, or a newline and its indentation if its group breaks."""

    def __init__(self, sep, width, printer):
        self.sep = sep
        self.width = width
        self.printer = printer
        self.indentation = printer.indentation
        self.group = printer.group_stack[-1]
        self.group.breakables.append(self)

    def output(self, stream, column):
        group = self.group
        group.breakables.popleft()
        if group.want_break:
            stream.write(self.printer.newline)
            stream.write(" " * self.indentation)
            return self.indentation
        if not group.breakables:
            self.printer.group_queue.remove(group)
        stream.write(self.sep)
        return column + self.width


class PrettyPrinter(object):
    """The layout: text, breakable separators and groups, written to `output` within max_width."""

    def __init__(self, output, max_width=79, newline="\n", max_seq_length=MAX_SEQ_LENGTH):
        self.output = output
        self.max_width = max_width
        self.newline = newline
        self.max_seq_length = max_seq_length
        self.output_width = 0  # the column reached by what is written
        self.buffer_width = 0  # the width of what is buffered after it
        self.buffer = collections.deque()
        root = _Group(0)
        self.group_stack = [root]
        self.group_queue = _GroupQueue(root)
        self.indentation = 0

    # -- what printers call

    def text(self, obj):
        """Text that is never broken."""
        width = len(obj)
        if not self.buffer:
            self.output.write(obj)
            self.output_width += width
            return
        last = self.buffer[-1]
        if not isinstance(last, _Text):
            last = _Text()
            self.buffer.append(last)
        last.add(obj, width)
        self.buffer_width += width
        self._fit()

    def breakable(self, sep=" "):
        """`sep`, or a newline at the current indentation if the enclosing group is broken."""
        group = self.group_stack[-1]
        if group.want_break:
            self.flush()
            self._newline()
            return
        self.buffer.append(_Breakable(sep, len(sep), self))
        self.buffer_width += len(sep)
        self._fit()

    def break_(self):
        """A newline here, whatever the width: the outermost breakable group is broken first."""
        group = self.group_queue.deq()
        if group:
            self._write_through(group)
        self.flush()
        self._newline()

    def begin_group(self, indent=0, open=""):
        if open:
            self.text(open)
        group = _Group(self.group_stack[-1].depth + 1)
        self.group_stack.append(group)
        self.group_queue.enq(group)
        self.indentation += indent

    def end_group(self, dedent=0, close=""):
        self.indentation -= dedent
        group = self.group_stack.pop()
        if not group.breakables:
            self.group_queue.remove(group)
        if close:
            self.text(close)

    @contextlib.contextmanager
    def group(self, indent=0, open="", close=""):
        self.begin_group(indent, open)
        try:
            yield
        finally:
            self.end_group(indent, close)

    @contextlib.contextmanager
    def indent(self, indent):
        self.indentation += indent
        try:
            yield
        finally:
            self.indentation -= indent

    def flush(self):
        """Write what is buffered, unbroken where not already broken."""
        for item in self.buffer:
            # as IPython does: the column is added to, not set (it is reset after every flush that
            # is not the last, so this never decides a break)
            self.output_width += item.output(self.output, self.output_width)
        self.buffer.clear()
        self.buffer_width = 0

    def _enumerate(self, seq):
        """enumerate(seq) up to max_seq_length items, then ", ..." is written and it stops."""
        for idx, item in enumerate(seq):
            if self.max_seq_length and idx >= self.max_seq_length:
                self.text(",")
                self.breakable()
                self.text("...")
                return
            yield idx, item

    # -- the layout itself

    def _newline(self):
        self.output.write(self.newline)
        self.output.write(" " * self.indentation)
        self.output_width = self.indentation
        self.buffer_width = 0

    def _fit(self):
        """While the line is too long, break the outermost group that can be broken."""
        while self.output_width + self.buffer_width > self.max_width:
            group = self.group_queue.deq()
            if not group:
                return
            self._write_through(group)

    def _write_through(self, group):
        """Write the buffer up to the group's last pending separator, and the text right after it."""
        while group.breakables:
            item = self.buffer.popleft()
            self.output_width = item.output(self.output, self.output_width)
            self.buffer_width -= item.width
        while self.buffer and isinstance(self.buffer[0], _Text):
            item = self.buffer.popleft()
            self.output_width = item.output(self.output, self.output_width)
            self.buffer_width -= item.width


# ---------------------------------------------------------------------------------------------
# choosing a printer for an object


def _mro(cls):
    mro = getattr(cls, "__mro__", None)
    if mro is not None:
        return mro
    # not a real class: lend it object's machinery, as IPython does
    try:
        return type(cls.__name__, (cls, object), {}).__mro__[1:-1]
    except TypeError:
        return [cls]


class RepresentationPrinter(PrettyPrinter):
    """The printer of IPython's `pretty`: picks each object's printer, detects cycles."""

    def __init__(
        self,
        output,
        verbose=False,
        max_width=79,
        newline="\n",
        singleton_pprinters=None,
        type_pprinters=None,
        deferred_pprinters=None,
        max_seq_length=MAX_SEQ_LENGTH,
    ):
        PrettyPrinter.__init__(self, output, max_width, newline, max_seq_length=max_seq_length)
        self.verbose = verbose
        self.stack = []  # ids of the objects being printed, outermost first
        self.singleton_pprinters = dict(_SINGLETONS) if singleton_pprinters is None else singleton_pprinters
        self.type_pprinters = dict(_BY_TYPE) if type_pprinters is None else type_pprinters
        self.deferred_pprinters = dict(_BY_NAME) if deferred_pprinters is None else deferred_pprinters

    def pretty(self, obj):
        """Print obj (an object met again inside itself is printed as a cycle)."""
        obj_id = id(obj)
        cycle = obj_id in self.stack
        self.stack.append(obj_id)
        self.begin_group()
        try:
            printer = self._printer_for(obj, obj_id)
            return printer(obj, self, cycle)
        finally:
            self.end_group()
            self.stack.pop()

    def _printer_for(self, obj, obj_id):
        cls = _attr(obj, "__class__", None) or type(obj)
        try:
            return self.singleton_pprinters[obj_id]
        except (TypeError, KeyError):
            pass
        for base in _mro(cls):
            if base in self.type_pprinters:
                return self.type_pprinters[base]
            printer = self._by_name(base)
            if printer is not None:
                return printer
            if "_repr_pretty_" in base.__dict__:
                method = base._repr_pretty_
                if callable(method):
                    return method
            if base is not object and callable(base.__dict__.get("__repr__")):
                return _repr_pprint
        return _default_pprint

    def _by_name(self, cls):
        """A printer registered by module and name (collections' types); it is then kept by type."""
        key = (_attr(cls, "__module__", None), _attr(cls, "__name__", None))
        if key not in self.deferred_pprinters:
            return None
        printer = self.deferred_pprinters.pop(key)
        self.type_pprinters[cls] = printer
        return printer


# ---------------------------------------------------------------------------------------------
# helpers that print as call expressions and raw strings


class RawText(object):
    """Printed as its text, as is."""

    def __init__(self, value):
        self.value = value

    def _repr_pretty_(self, p, cycle):
        p.text(self.value)


class CallExpression(object):
    """Printed as `name(arg, ..., key=value, ...)`, its arguments wrapped inside the parentheses."""

    def __init__(*args, **kwargs):
        # positional-only self and name, so that any keyword can be an argument
        self, name, args = args[0], args[1], args[2:]
        self.name = name
        self.args = args
        self.kwargs = kwargs

    @classmethod
    def factory(cls, name):
        def make(*args, **kwargs):
            return cls(name, *args, **kwargs)

        return make

    def _repr_pretty_(self, p, cycle):
        opening = self.name + "("
        with p.group(len(opening), opening, ")"):
            first = True
            for arg in self.args:
                if not first:
                    p.text(",")
                    p.breakable()
                first = False
                p.pretty(arg)
            for key, arg in self.kwargs.items():
                if not first:
                    p.text(",")
                    p.breakable()
                first = False
                with p.group(len(key) + 1, key + "="):
                    p.pretty(arg)


class RawStringLiteral(object):
    """Printed as a raw string literal: r'...' with doubled backslashes made single."""

    def __init__(self, value):
        self.value = value

    def _repr_pretty_(self, p, cycle):
        text = repr(self.value)
        prefix = "r"
        if text[:1] in "uU":
            text, prefix = text[1:], "ur"
        p.text(prefix + text.replace("\\\\", "\\"))


# ---------------------------------------------------------------------------------------------
# the printers


def _repr_pprint(obj, p, cycle):
    """repr(obj), its lines kept apart at the current indentation."""
    lines = repr(obj).splitlines()
    with p.group():
        for idx, line in enumerate(lines):
            if idx:
                p.break_()
            p.text(line)


def _default_pprint(obj, p, cycle):
    """`<module.Class at 0x...>` for an object without a repr of its own."""
    cls = _attr(obj, "__class__", None) or type(obj)
    if _attr(cls, "__repr__", None) is not object.__repr__:
        _repr_pprint(obj, p, cycle)
        return
    p.begin_group(1, "<")
    p.pretty(cls)
    p.text(" at 0x%x" % id(obj))
    if cycle:
        p.text(" ...")
    elif p.verbose:
        first = True
        for key in dir(obj):
            if key.startswith("_"):
                continue
            try:
                value = getattr(obj, key)
            except AttributeError:
                continue
            if isinstance(value, types.MethodType):
                continue
            if not first:
                p.text(",")
            p.breakable()
            p.text(key)
            p.text("=")
            with p.indent(len(key) + 1):
                p.pretty(value)
            first = False
    p.end_group(1, ">")


def _sequence_printer(opening, closing):
    def print_sequence(obj, p, cycle):
        if cycle:
            return p.text(opening + "..." + closing)
        p.begin_group(len(opening), opening)
        for idx, item in p._enumerate(obj):
            if idx:
                p.text(",")
                p.breakable()
            p.pretty(item)
        if len(obj) == 1 and isinstance(obj, tuple):
            p.text(",")  # (x,)
        p.end_group(len(opening), closing)

    return print_sequence


def _sorted_if_possible(items):
    """Sorted; by str when the items do not compare; as they come when neither works."""
    items = list(items)
    try:
        return sorted(items)
    except Exception:
        try:
            return sorted(items, key=str)
        except Exception:
            return items


def _set_printer(opening, closing):
    def print_set(obj, p, cycle):
        if cycle:
            return p.text(opening + "..." + closing)
        if len(obj) == 0:
            p.text(type(obj).__name__ + "()")
            return
        p.begin_group(len(opening), opening)
        # sorted, unless too many to show them all
        if p.max_seq_length and len(obj) >= p.max_seq_length:
            items = obj
        else:
            items = _sorted_if_possible(obj)
        for idx, item in p._enumerate(items):
            if idx:
                p.text(",")
                p.breakable()
            p.pretty(item)
        p.end_group(len(opening), closing)

    return print_set


def _dict_printer(opening, closing):
    def print_dict(obj, p, cycle):
        if cycle:
            return p.text("{...}")
        p.begin_group(len(opening), opening)
        for idx, key in p._enumerate(obj.keys()):
            if idx:
                p.text(",")
                p.breakable()
            p.pretty(key)
            p.text(": ")
            p.pretty(obj[key])
        p.end_group(len(opening), closing)

    return print_dict


def _super_pprint(obj, p, cycle):
    p.begin_group(8, "<super: ")
    p.pretty(obj.__thisclass__)
    p.text(",")
    p.breakable()
    if platform.python_implementation() == "PyPy":  # PyPy's super objects have no __self__
        bound = obj.__repr__.__self__
        p.pretty(None if bound is obj else bound)
    else:
        p.pretty(obj.__self__)
    p.end_group(8, ">")


# re's flags in the order IPython names them (TEMPLATE is gone from Python 3.13's re)
_RE_FLAGS = (
    ("TEMPLATE", 1),
    ("IGNORECASE", 2),
    ("LOCALE", 4),
    ("MULTILINE", 8),
    ("DOTALL", 16),
    ("UNICODE", 32),
    ("VERBOSE", 64),
    ("DEBUG", 128),
)


class _ReFlags(object):
    def __init__(self, value):
        self.value = value

    def _repr_pretty_(self, p, cycle):
        names = ["re." + name for name, bit in _RE_FLAGS if self.value & bit]
        for idx, name in enumerate(names):
            if idx:
                p.text("|")
            p.text(name)


def _re_pattern_pprint(obj, p, cycle):
    """re.compile(r'...', re.FLAG|...)."""
    compile_call = CallExpression.factory("re.compile")
    if obj.flags:
        p.pretty(compile_call(RawStringLiteral(obj.pattern), _ReFlags(obj.flags)))
    else:
        p.pretty(compile_call(RawStringLiteral(obj.pattern)))


def _namespace_pprint(obj, p, cycle):
    namespace = CallExpression.factory("namespace")
    if cycle:
        p.pretty(namespace(RawText("...")))
    else:
        p.pretty(namespace(**obj.__dict__))


def _type_pprint(obj, p, cycle):
    """A class by its qualified name: `int`, `numpy.ndarray`, `__main__.Foo`."""
    # a metaclass with a repr of its own (enums, ...) is shown by it
    overriding = [m for m in _mro(type(obj)) if "__repr__" in vars(m)][:1]
    if overriding != [type]:
        _repr_pprint(obj, p, cycle)
        return
    module = _attr(obj, "__module__", None)
    try:
        name = obj.__qualname__
        if not isinstance(name, str):
            raise TypeError("__qualname__ is not a string")
    except Exception:
        name = obj.__name__
        if not isinstance(name, str):
            name = "<unknown type>"
    if module in (None,) + _BUILTIN_MODULES:
        p.text(name)
    else:
        p.text(module + "." + name)


def _function_pprint(obj, p, cycle):
    """<function module.name(signature)>."""
    import inspect  # only when a function is shown: it costs the runner's start a few ms

    name = _attr(obj, "__qualname__", obj.__name__)
    module = obj.__module__
    if module and module not in _BUILTIN_MODULES:
        name = module + "." + name
    try:
        text = name + str(inspect.signature(obj))
    except ValueError:
        text = name
    p.text("<function %s>" % text)


def _exception_pprint(obj, p, cycle):
    """An exception as the call that makes it: ValueError('bad')."""
    cls = obj.__class__
    name = getattr(cls, "__qualname__", cls.__name__)
    if cls.__module__ not in ("exceptions", "builtins"):
        name = "%s.%s" % (cls.__module__, name)
    p.pretty(CallExpression(name, *getattr(obj, "args", ())))


def _defaultdict_pprint(obj, p, cycle):
    call = CallExpression.factory(obj.__class__.__name__)
    if cycle:
        p.pretty(call(RawText("...")))
    else:
        p.pretty(call(obj.default_factory, dict(obj)))


def _ordereddict_pprint(obj, p, cycle):
    call = CallExpression.factory(obj.__class__.__name__)
    if cycle:
        p.pretty(call(RawText("...")))
    elif len(obj):
        p.pretty(call(list(obj.items())))
    else:
        p.pretty(call())


def _deque_pprint(obj, p, cycle):
    call = CallExpression.factory(obj.__class__.__name__)
    if cycle:
        p.pretty(call(RawText("...")))
    elif obj.maxlen is not None:
        p.pretty(call(list(obj), maxlen=obj.maxlen))
    else:
        p.pretty(call(list(obj)))


def _counter_pprint(obj, p, cycle):
    call = CallExpression.factory(obj.__class__.__name__)
    if cycle:
        p.pretty(call(RawText("...")))
    elif len(obj):
        p.pretty(call(dict(obj)))
    else:
        p.pretty(call())


def _userlist_pprint(obj, p, cycle):
    call = CallExpression.factory(obj.__class__.__name__)
    if cycle:
        p.pretty(call(RawText("...")))
    else:
        p.pretty(call(obj.data))


# printers of builtin types, found along an object's class's MRO
_BY_TYPE = {
    int: _repr_pprint,
    float: _repr_pprint,
    str: _repr_pprint,
    bytes: _repr_pprint,
    range: _repr_pprint,
    slice: _repr_pprint,
    tuple: _sequence_printer("(", ")"),
    list: _sequence_printer("[", "]"),
    dict: _dict_printer("{", "}"),
    set: _set_printer("{", "}"),
    frozenset: _set_printer("frozenset({", "})"),
    types.MappingProxyType: _dict_printer("mappingproxy({", "})"),
    super: _super_pprint,
    type(re.compile("")): _re_pattern_pprint,
    type: _type_pprint,
    types.FunctionType: _function_pprint,
    types.BuiltinFunctionType: _function_pprint,
    types.MethodType: _repr_pprint,
    types.SimpleNamespace: _namespace_pprint,
    datetime.datetime: _repr_pprint,
    datetime.timedelta: _repr_pprint,
    BaseException: _exception_pprint,
}
if type(os.environ) is not dict:
    _BY_TYPE[type(os.environ)] = _dict_printer("environ{", "}")

# printers of types known by (module, name), so that they need not be imported
_BY_NAME = {
    ("collections", "defaultdict"): _defaultdict_pprint,
    ("collections", "OrderedDict"): _ordereddict_pprint,
    ("collections", "deque"): _deque_pprint,
    ("collections", "Counter"): _counter_pprint,
    ("collections", "UserList"): _userlist_pprint,
}

# printers of the singletons, by id
_SINGLETONS = dict.fromkeys(map(id, [None, True, False, Ellipsis, NotImplemented]), _repr_pprint)
