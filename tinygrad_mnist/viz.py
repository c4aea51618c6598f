"""draw_graph: a graphviz picture of the graph behind a tensor (ops, parameters, module boxes).

The picture is read from what each recorded node keeps for its whole life (`next`, `shape`,
`dtype`, `scope`, `args`), so it can be drawn before backward() and after it, even once backward
has freed the arrays the ops saved. Edges point the way data flows: inputs -> op -> output.
graphviz is imported inside the functions that use it, so `import tinygrad_mnist` stays light.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np

from .autograd import _FREED, Function
from .errors import ConfigError, DTypeError, MissingToolError
from .nn.module import Module, Parameter
from .tensor import Tensor

if TYPE_CHECKING:
    import graphviz

# role -> (fill colour, what the legend says about it)
STYLES = {
    "op": ("lightgrey", "op, with its output's shape and dtype"),
    "leaf": ("lightblue", "parameter / leaf that requires grad"),
    "output": ("darkolivegreen1", "output"),
    "saved": ("orange", "array saved for backward"),
    "module": ("khaki", "module collapsed by max_depth"),
}
SMALL_TENSOR = 8     # tensors of at most this many elements show their values; larger, a summary
RANKDIRS = ("TB", "LR", "BT", "RL")
RENDER_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".gv": None, ".dot": None}
INSTALL_HINT = ("install graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install "
                "graphviz; or see https://graphviz.org/download/)")


def draw_graph(root: Tensor | Sequence[Tensor],
               params: Module | Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None, *,
               show_data: bool = False, show_grad: bool = False, show_saved: bool = False,
               max_depth: int | None = None, group_modules: bool = True, rankdir: str = "TB",
               name: str | Sequence[str] | None = None, legend: bool = True) -> "graphviz.Digraph":
    """A graphviz Digraph of the graph that computed root (one tensor or a sequence of them).

    params: a Module, a dict {name: Tensor} or (name, Tensor) pairs; parameters are labelled with
    their names (`0.weight`), and a named non-leaf tensor names the op that made it. show_data /
    show_grad print the values of small tensors and a summary of large ones. show_saved draws the
    arrays each op saved for its backward. Ops run inside an nn.Module call are drawn in a box named
    after the module (group_modules); max_depth=k draws k levels of module boxes and collapses
    each module nested deeper into a single node. name labels the output ('loss' by default for a
    one-element tensor, 'output' otherwise).
    """
    import graphviz

    roots = _check_roots(root)
    names = _check_names(name, roots)
    _check_choice("rankdir", rankdir, RANKDIRS)
    if max_depth is not None and (not isinstance(max_depth, int) or isinstance(max_depth, bool)
                                  or max_depth < 0):
        raise ConfigError(f"draw_graph: max_depth must be None or an integer >= 0, got {max_depth!r}")
    tensor_names, model_names = _names_from(params)
    nodes, leaves = _walk([t._ctx for t in roots if t._ctx is not None])
    drawing = _Drawing(graphviz, rankdir, group_modules, max_depth, tensor_names, model_names,
                       show_data, show_grad)
    drawing.add_ops(nodes)
    drawing.add_leaves(nodes, leaves)
    drawing.add_edges(nodes)
    for i, (t, title) in enumerate(zip(roots, names)):
        drawing.add_output(t, i, title)
    drawing.add_collapsed()
    if show_saved:
        drawing.add_saved(nodes)
    if legend:
        drawing.add_legend()
    return drawing.finish()


def draw_model_step(model: Module, x, y, loss_fn, **draw_kwargs) -> "graphviz.Digraph":
    """Run loss_fn(model(x), y) once and draw its graph, parameters named from model.

    With show_grad=True it also runs backward (keeping the graph), which replaces the
    parameters' .grad with this step's gradients."""
    if not isinstance(model, Module):
        raise TypeError(f"draw_model_step: model must be an nn.Module, got {type(model).__name__}")
    loss = loss_fn(model(x if isinstance(x, Tensor) else Tensor(x)), y)
    if draw_kwargs.get("show_grad"):
        model.zero_grad()
        loss.backward(retain_graph=True)
    draw_kwargs.setdefault("params", model)
    return draw_graph(loss, **draw_kwargs)


def save_graph(graph: "graphviz.Digraph", path: str | os.PathLike) -> Path:
    """Write graph to path in the format its suffix names: .svg, .png, .pdf (rendered by graphviz's
    `dot`) or .gv / .dot (the DOT source). Without `dot`, the source is written beside path as .gv
    and a MissingToolError (a RuntimeError) says how to install graphviz."""
    import graphviz

    from .serialization import atomic_write

    if not hasattr(graph, "source") or not hasattr(graph, "pipe"):
        raise DTypeError(f"save_graph: expected the graph draw_graph returns, got {type(graph).__name__}")
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in RENDER_FORMATS:
        raise ConfigError(f"save_graph: cannot tell the format of {str(path)!r} from its suffix; "
                          f"expected one of {', '.join(RENDER_FORMATS)}")
    fmt = RENDER_FORMATS[suffix]
    if fmt is None:
        atomic_write(path, graph.source.encode())
        return path
    try:
        image = graph.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        source = path.with_suffix(".gv")
        atomic_write(source, graph.source.encode())
        raise MissingToolError(f"save_graph: cannot render {path.name}: graphviz's 'dot' program was not "
                           f"found on PATH. The graph's DOT source was written to {source}; to "
                           f"render it, {INSTALL_HINT}.") from None
    atomic_write(path, image)
    return path


# ---- arguments ---------------------------------------------------------------------------------

def _check_roots(root) -> list[Tensor]:
    roots = [root] if isinstance(root, Tensor) else list(root) if isinstance(root, (list, tuple)) else None
    if not roots or not all(isinstance(t, Tensor) for t in roots):
        raise TypeError(f"draw_graph: root must be a Tensor or a non-empty list of Tensors, "
                        f"got {type(root).__name__}")
    return roots


def _check_names(name, roots: list[Tensor]) -> list[str]:
    if name is None:
        if len(roots) == 1:
            return ["loss" if roots[0].data.size == 1 else "output"]
        return [f"output {i}" for i in range(len(roots))]
    names = [name] if isinstance(name, str) else list(name) if isinstance(name, Iterable) else [name]
    if len(names) != len(roots) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"draw_graph: name must give one string per root ({len(roots)}), got {name!r}")
    return names


def _check_choice(arg: str, value, choices: Sequence[str]) -> None:
    if value not in choices:
        raise ValueError(f"draw_graph: {arg} must be one of {', '.join(choices)}, got {value!r}")


def _names_from(params) -> tuple[dict[int, tuple[str, Tensor]], dict[int, str]]:
    """({id(tensor or its node): (name, tensor)}, {id(module): dotted name}) from params."""
    if params is None:
        return {}, {}
    module_names = {}
    if isinstance(params, Module):
        module_names = {id(m): n for n, m in params.named_modules()}
        pairs: Iterable = params.named_parameters()
    elif isinstance(params, Mapping):
        pairs = params.items()
    elif isinstance(params, Iterable) and not isinstance(params, (str, Tensor)):
        pairs = params
    else:
        raise TypeError(f"draw_graph: params must be a Module, a dict of name -> Tensor or (name, "
                        f"Tensor) pairs, got {type(params).__name__}")
    tensor_names = {}
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], Tensor)):
            raise TypeError(f"draw_graph: params must map names to Tensors, got {pair!r:.80}")
        tensor_name, t = pair
        tensor_names[id(t._ctx if t._ctx is not None else t)] = (str(tensor_name), t)
    return tensor_names, module_names


# ---- reading the graph -------------------------------------------------------------------------

def _walk(roots: list[Function]) -> tuple[list[Function], list[Tensor]]:
    """Every node and every grad-requiring leaf reachable from roots, inputs before the ops that
    use them (an iterative depth-first search, so a graph of a million nodes is fine)."""
    nodes, leaves, seen = [], [], set()
    stack = [(r, False) for r in reversed(roots)]
    while stack:
        item, inputs_done = stack.pop()
        if inputs_done:
            nodes.append(item)
        elif id(item) not in seen:
            seen.add(id(item))
            if isinstance(item, Function):
                stack.append((item, True))
                stack.extend((e, False) for e in reversed(item.next) if e is not None)
            else:
                leaves.append(item)
    return nodes, leaves


def _op_label(node: Function) -> str:
    """The op and its arguments, e.g. 'Sum(dim=1)', 'Reshape(32, 784)', 'GetItem[int64[32], 0]'."""
    op, args = node.name, dict(getattr(node, "args", None) or {})
    if op in ("Reshape", "Expand"):
        return f"{op}({', '.join(str(n) for n in node.shape)})"
    if op == "Copy":
        return f"Copy(dtype={node.dtype})"
    if op == "Extreme":
        op = "Max" if args.pop("largest") else "Min"
    if op == "GetItem":
        freed = node.saved is _FREED
        if freed:
            return "GetItem[index freed by backward]"
        _, index, select = node.saved
        return "GetItem" + ("" if select is None else _index_text(select)) + _index_text(index)
    parts = [f"{k}={_arg_text(v)}" for k, v in args.items() if v is not None and v is not False]
    return f"{op}({', '.join(parts)})" if parts else op


def _arg_text(value) -> str:
    if isinstance(value, tuple) and len(value) == 1:
        return str(value[0])
    return repr(value) if isinstance(value, str) else str(value)


def _index_text(index) -> str:
    """An index as written in Python, with arrays shown by dtype and shape: [int64[32], 0:5]."""
    def item(i) -> str:
        if isinstance(i, slice):
            text = ":".join("" if v is None else str(v) for v in (i.start, i.stop))
            return text if i.step is None else f"{text}:{i.step}"
        if i is Ellipsis:
            return "..."
        if isinstance(i, np.ndarray) and i.ndim:
            return f"{i.dtype}[{', '.join(str(n) for n in i.shape)}]"
        return str(i)
    return "[" + ", ".join(item(i) for i in (index if type(index) is tuple else (index,))) + "]"


def _saved_arrays(node: Function) -> tuple[list[tuple[str, np.ndarray]], bool]:
    """(what the node's backward saved, as (label, array)), and whether backward freed it."""
    found, freed = [], False
    inputs = getattr(node, "inputs", None)
    output = getattr(node, "output", None)
    saved = getattr(node, "saved", None)
    for value in (inputs, output, saved):
        freed = freed or value is _FREED
    if isinstance(inputs, list):
        found += [(f"saved input {i}", a) for i, a in enumerate(inputs)]
    if isinstance(output, np.ndarray):
        found.append(("saved output", output))
    if isinstance(saved, tuple):
        for i, value in enumerate(saved):  # an index may be a tuple of arrays: look one level in
            items = enumerate(value) if isinstance(value, tuple) else [(None, value)]
            found += [(f"saved[{i}]" + ("" if j is None else f"[{j}]"), np.asarray(v)) for j, v in items
                      if isinstance(v, (Tensor, np.ndarray))]
    return found, freed


def _shape_text(shape: tuple, dtype) -> str:
    return f"{shape} {dtype.name}"


def _values_text(what: str, array) -> str:
    """Small arrays in full (4 significant digits), large ones as mean/std/min/max (3)."""
    a = np.asarray(array)
    if a.size <= SMALL_TENSOR:
        if a.ndim == 0:
            return f"{what} {_number_text(a.item())}"
        body = np.array2string(a, separator=", ", max_line_width=10_000, formatter={"all": _number_text})
        return f"{what} {' '.join(body.split())}"
    a = a.astype(np.float64)
    return f"{what} mean {a.mean():.3g} std {a.std():.3g} min {a.min():.3g} max {a.max():.3g}"


def _number_text(v) -> str:
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


# ---- building the Digraph ----------------------------------------------------------------------

class _Drawing:
    """One picture: decides which DOT node draws each graph node and in which module box (a path
    of module ids, outermost first), then writes the DOT statements of nodes, boxes and edges.
    The statements are written here rather than through Digraph.node/edge, which are ~10x
    slower, so a graph of 100,000 ops is drawn in seconds."""

    def __init__(self, graphviz, rankdir: str, group_modules: bool, max_depth: int | None,
                 tensor_names: dict, model_names: dict, show_data: bool, show_grad: bool):
        self.gv, self.rankdir = graphviz, rankdir
        self.group_modules, self.max_depth = group_modules, max_depth
        self.tensor_names, self.model_names = tensor_names, model_names
        self.show_data, self.show_grad = show_data, show_grad
        self.unit: dict[int, str | None] = {}  # id(node or leaf) -> its DOT node (None: hidden)
        self.place: dict[str, tuple] = {}      # DOT node -> module path of the box holding it
        self.chains: dict[tuple, tuple] = {}   # module path -> its Modules (to label the box)
        self.child_names: dict[int, dict] = {}  # id(module) -> {id(child): attribute name}
        self.boxes: dict[tuple, list[str]] = {(): []}  # module path -> its node statements
        self.groups: dict[str, dict] = {}      # DOT node of a collapsed module -> what it holds
        self.group_names: dict[tuple, str] = {}  # ids of a collapsed module's chain -> DOT node
        self.edges: list[str] = []
        self.edge_set: set[tuple[str, str]] = set()
        self.roles: set[str] = set()
        self.freed = False
        self.saved_count = 0

    def _path(self, scope: tuple) -> tuple:
        """The module path of ops run in scope (the empty path when modules are not grouped)."""
        if not self.group_modules:
            return ()
        path = tuple(id(m) for m in scope)
        for k in range(1, len(path) + 1):
            self.chains.setdefault(path[:k], scope[:k])
        return path

    def _node(self, dot_name: str, lines: Iterable[str | None], role: str, **attrs: str) -> None:
        label = "\\n".join(line.replace("\\", "\\\\").replace("\n", "\\n") for line in lines if line)
        attrs = {"label": label, "fillcolor": STYLES[role][0], **attrs}
        self._box(self.place.get(dot_name, ())).append(f"{dot_name} [{_attr_text(attrs)}]")
        self.roles.add(role)

    def _box(self, path: tuple) -> list[str]:
        """The statements of the module box at path, made on first use with its enclosing boxes."""
        for k in range(1, len(path) + 1):
            self.boxes.setdefault(path[:k], [])
        return self.boxes[path]

    def _module_label(self, chain: tuple) -> str:
        """'0: Linear': the module's name in its parent (else in the model given) and its type."""
        module, attr_name = chain[-1], None
        if len(chain) > 1:
            parent = chain[-2]
            if id(parent) not in self.child_names:
                self.child_names[id(parent)] = {id(m): n for n, m in parent._modules.items()}
            attr_name = self.child_names[id(parent)].get(id(module))
        if attr_name is None:
            attr_name = self.model_names.get(id(module))
        kind = type(module).__name__
        return f"{attr_name}: {kind}" if attr_name else kind

    def _value_lines(self, t: Tensor) -> list[str]:
        lines = [_values_text("data", t.data)] if self.show_data else []
        if self.show_grad and (t.grad is not None or t.requires_grad and t._ctx is None):
            lines.append("grad None" if t.grad is None else _values_text("grad", t.grad.data))
        return lines

    def _edge(self, src: str, dst: str, **attrs: str) -> None:
        if src in self.groups or dst in self.groups:  # many edges may join two collapsed modules
            if (src, dst) in self.edge_set:
                return
            self.edge_set.add((src, dst))
        self.edges.append(f"{src} -> {dst} [{_attr_text(attrs)}]" if attrs else f"{src} -> {dst}")

    # -- the steps, in order --
    def add_ops(self, nodes: list[Function]) -> None:
        """An ellipse per op, or one node per module that max_depth collapses."""
        for node in nodes:
            scope = getattr(node, "scope", ())
            if self.max_depth is not None and len(scope) > self.max_depth:
                self._collapse(node, scope[:self.max_depth + 1])
                continue
            dot_name = self.unit[id(node)] = f"op{len(self.unit)}"
            self.place[dot_name] = self._path(scope)
            lines = [_op_label(node), _shape_text(node.shape, node.dtype)]
            constants = sum(e is None for e in node.next)
            if constants:
                lines.append(f"+ {constants} constant input{'s' if constants > 1 else ''}")
            named = self.tensor_names.get(id(node))
            if named:
                lines = [named[0]] + lines + self._value_lines(named[1])
            self._node(dot_name, lines, "op", shape="ellipse")

    def _collapse(self, node: Function, scope: tuple) -> None:
        key = tuple(id(m) for m in scope)
        dot_name = self.group_names.get(key)
        if dot_name is None:
            dot_name = self.group_names[key] = f"mod{len(self.group_names)}"
            self.groups[dot_name] = {"chain": scope, "ops": 0, "params": 0, "outputs": {}}
            self.place[dot_name] = path = self._path(scope[:-1])
            self._box(path)  # so the boxes come in the order the graph meets them
        self.groups[dot_name]["ops"] += 1
        self.unit[id(node)] = dot_name

    def add_leaves(self, nodes: list[Function], leaves: list[Tensor]) -> None:
        """A box per leaf that requires grad, in the innermost module box holding all its users;
        a Parameter used only inside one collapsed module is counted there instead (an input that
        requires grad is still drawn)."""
        users: dict[int, set[str]] = {}
        for node in nodes:
            for e in node.next:
                if isinstance(e, Tensor):
                    users.setdefault(id(e), set()).add(self.unit[id(node)])
        for i, leaf in enumerate(leaves):
            used_by = users[id(leaf)]
            only = next(iter(used_by)) if len(used_by) == 1 else None
            if only in self.groups and isinstance(leaf, Parameter):
                self.groups[only]["params"] += 1
                self.unit[id(leaf)] = None
                continue
            dot_name = self.unit[id(leaf)] = f"leaf{i}"
            self.place[dot_name] = _common_prefix([self.place[u] for u in used_by])
            named = self.tensor_names.get(id(leaf))
            lines = [named[0] if named else None, _shape_text(leaf.shape, leaf.dtype)]
            self._node(dot_name, lines + self._value_lines(leaf), "leaf")

    def add_edges(self, nodes: list[Function]) -> None:
        """An edge from each input to the op using it (twice for a + a)."""
        for node in nodes:
            dst = self.unit[id(node)]
            for e in node.next:
                src = None if e is None else self.unit[id(e)]
                if src is None or src == dst:  # a constant, a hidden leaf, or inside one module
                    continue
                if src in self.groups:
                    self.groups[src]["outputs"][id(e)] = e
                self._edge(src, dst)

    def add_output(self, t: Tensor, index: int, title: str) -> None:
        dot_name = f"out{index}"
        self._node(dot_name, [title, _shape_text(t.shape, t.dtype)] + self._value_lines(t), "output")
        if t._ctx is not None:
            src = self.unit[id(t._ctx)]
            if src in self.groups:
                self.groups[src]["outputs"][id(t._ctx)] = t._ctx
            self._edge(src, dot_name)

    def add_collapsed(self) -> None:
        """One 3-D box per collapsed module: its name, how many ops and parameters it hides, and
        the shape of its output."""
        for dot_name, group in self.groups.items():
            ops, params, outputs = group["ops"], group["params"], list(group["outputs"].values())
            counts = f"{ops} op{'s' if ops > 1 else ''}"
            if params:
                counts += f", {params} parameter{'s' if params > 1 else ''}"
            result = (_shape_text(outputs[0].shape, outputs[0].dtype) if len(outputs) == 1
                      else f"{len(outputs)} outputs")
            self._node(dot_name, [self._module_label(group["chain"]), counts, result], "module",
                       shape="box3d")

    def add_saved(self, nodes: list[Function]) -> None:
        """A box per array an op saved for backward, joined to the op by a dashed edge."""
        for node in nodes:
            op = self.unit[id(node)]
            arrays, freed = _saved_arrays(node)
            self.freed = self.freed or freed
            if op in self.groups:
                continue
            for what, array in arrays:
                dot_name = f"saved{self.saved_count}"
                self.saved_count += 1
                self.place[dot_name] = self.place[op]
                lines = [what, _shape_text(array.shape, array.dtype)]
                if self.show_data:
                    lines.append(_values_text("data", array))
                self._node(dot_name, lines, "saved")
                self._edge(dot_name, op, style="dashed")

    def add_legend(self) -> None:
        rows = [(STYLES[r][0], STYLES[r][1]) for r in STYLES if r in self.roles]
        if self.freed:
            rows.append(("white", "saved arrays: freed by backward()"))
        cells = "".join(f'<tr><td bgcolor="{colour}">{text}</td></tr>' for colour, text in rows)
        table = f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">{cells}</table>>'
        self.boxes[()].append(f'legend [label={table} shape=plaintext style="" fontsize=9]')

    def finish(self) -> "graphviz.Digraph":
        """The Digraph: each module box nested in its parent's (written by an explicit stack, not
        recursion), then the edges."""
        children: dict[tuple, list[tuple]] = {path: [] for path in self.boxes}
        for path in self.boxes:
            if path:
                children[path[:-1]].append(path)
        numbers = {path: i for i, path in enumerate(p for p in self.boxes if p)}
        body: list[str] = []
        stack: list[tuple[tuple, bool]] = [((), False)]
        while stack:
            path, closing = stack.pop()
            indent = "\t" * (len(path) + (0 if closing else 1))
            if closing:
                body.append(indent + "}\n")
                continue
            if path:
                body.append(f"{indent[:-1]}subgraph cluster_{numbers[path]} {{\n")
                attrs = {"label": self._module_label(self.chains[path]), "style": "rounded",
                         "color": "grey45", "labeljust": "l", "fontsize": "10"}
                body.append(f"{indent}graph [{_attr_text(attrs)}]\n")
                stack.append((path, True))
            body.extend(f"{indent}{statement}\n" for statement in self.boxes[path])
            stack.extend((child, False) for child in reversed(children[path]))
        body.extend(f"\t{edge}\n" for edge in self.edges)
        return self.gv.Digraph(
            graph_attr={"rankdir": self.rankdir, "ordering": "in", "fontname": "Helvetica",
                        "fontsize": "11"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "style": "filled", "shape": "box"},
            edge_attr={"arrowsize": "0.7"}, body=body)


def _attr_text(attrs: dict[str, str]) -> str:
    """DOT attributes, each value a quoted string."""
    return " ".join(f'{k}="' + v.replace('"', '\\"') + '"' for k, v in attrs.items())


def _common_prefix(paths: list[tuple]) -> tuple:
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        while p[:n] != first[:n]:
            n -= 1
    return first[:n]
