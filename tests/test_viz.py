"""draw_graph: structure of the DOT source for known graphs, labels, module boxes, max_depth,
drawing after backward, and rendering with the real graphviz `dot` (and without it)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.viz import draw_model_step, save_graph

REPO = Path(__file__).resolve().parents[1]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="graphviz's `dot` program is not installed (.ci/run installs it)")

# ---- reading a Digraph's DOT source back --------------------------------------------------------

NODE = re.compile(r'^\s*(\w+) \[(.*)\]$')
EDGE = re.compile(r'^\s*(\w+) -> (\w+)(?: \[(.*)\])?$')
LABEL = re.compile(r'label="((?:[^"\\]|\\.)*)"')


def _label(attrs: str) -> str:
    m = LABEL.search(attrs)
    return m.group(1).replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\") if m else None


class Drawn:
    """The nodes (name -> label, boxes, attrs) and edges of a Digraph, the legend apart."""

    def __init__(self, graph):
        self.source = graph.source
        self.nodes, self.boxes, self.attrs, self.edges, self.box_labels = {}, {}, {}, [], []
        open_boxes: list[str | None] = []
        for line in self.source.splitlines():
            text = line.strip()
            if text.startswith("subgraph cluster_"):
                open_boxes.append(None)
            elif text == "}" and open_boxes:
                open_boxes.pop()
            elif text.startswith("graph [") and open_boxes:
                open_boxes[-1] = _label(text)
                self.box_labels.append(_label(text))
            elif m := EDGE.match(line):
                self.edges.append((m.group(1), m.group(2), m.group(3) or ""))
            elif (m := NODE.match(line)) and m.group(1) not in ("graph", "node", "edge", "legend"):
                self.nodes[m.group(1)] = _label(m.group(2))
                self.boxes[m.group(1)] = tuple(open_boxes)
                self.attrs[m.group(1)] = m.group(2)
        self.legend = next((line for line in self.source.splitlines() if line.strip().startswith("legend")), "")

    def first(self, name: str) -> str:
        return self.nodes[name].split("\n")[0]

    def named(self, first_line: str) -> list[str]:
        return [n for n in self.nodes if self.first(n) == first_line]

    def edge_pairs(self) -> Counter:
        """Edges as (first line of source label, first line of target label), with multiplicity."""
        return Counter((self.first(a), self.first(b)) for a, b, _ in self.edges)


def draw(root, *args, **kwargs) -> Drawn:
    return Drawn(tg.draw_graph(root, *args, **kwargs))


def mlp_step(batch: int = 5):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x, y = tg.randn(batch, 3), tg.tensor([0, 1, 1, 0, 1][:batch])
    return model, nn.CrossEntropyLoss()(model(x), y)


# ---- structure of small expressions ------------------------------------------------------------

def test_three_op_expression_has_exact_nodes_edges_and_labels():
    a, b = tg.tensor(2.0, requires_grad=True), tg.tensor(-3.0, requires_grad=True)
    e = (a * b + a).relu()
    g = draw(e, {"a": a, "b": b})
    assert sorted(g.nodes.values()) == sorted(["a\n() float32", "b\n() float32", "Mul\n() float32",
                                               "Add\n() float32", "ReLU\n() float32", "loss\n() float32"])
    assert g.edge_pairs() == Counter({("a", "Mul"): 1, ("b", "Mul"): 1, ("Mul", "Add"): 1, ("a", "Add"): 1,
                                      ("Add", "ReLU"): 1, ("ReLU", "loss"): 1})
    assert "fillcolor=\"lightblue\"" in g.attrs[g.named("a")[0]]
    assert "fillcolor=\"darkolivegreen1\"" in g.attrs[g.named("loss")[0]]


def test_a_reused_tensor_gets_one_edge_per_use():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a + a
    c = b * b
    g = draw(c, {"a": a})
    assert len(g.nodes) == 4
    assert g.edge_pairs() == Counter({("a", "Add"): 2, ("Add", "Mul"): 2, ("Mul", "output"): 1})


def test_constant_inputs_are_counted_in_the_label_not_drawn():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    g = draw(x * 2 + tg.ones(2), {"x": x})
    assert len(g.nodes) == 4 and len(g.edges) == 3
    assert g.nodes[g.named("Mul")[0]] == "Mul\n(2,) float32\n+ 1 constant input"
    assert g.nodes[g.named("Add")[0]] == "Add\n(2,) float32\n+ 1 constant input"


X = np.arange(24, dtype=np.float64).reshape(4, 6) / 10
LABELLED_OPS = [
    (lambda x: x.sum(dim=1), "Sum(dim=1)"),
    (lambda x: x.sum(), "Sum"),
    (lambda x: x.mean(dim=(0, 1), keepdim=True), "Mean(dim=(0, 1), keepdim=True)"),
    (lambda x: x.reshape(2, 12), "Reshape(2, 12)"),
    (lambda x: x.unsqueeze(0).expand(3, 4, 6), "Expand(3, 4, 6)"),
    (lambda x: x.T, "Permute(dims=(1, 0))"),
    (lambda x: x.softmax(dim=1), "Softmax(dim=1)"),
    (lambda x: x.log_softmax(dim=-1), "LogSoftmax(dim=1)"),
    (lambda x: x.logsumexp(dim=0), "LogSumExp(dim=0)"),
    (lambda x: x.max(dim=1).values, "Max(dim=1)"),
    (lambda x: x.min(), "Min"),
    (lambda x: x.leaky_relu(0.2), "LeakyReLU(negative_slope=0.2)"),
    (lambda x: x.clamp(min=0.5), "Clamp(min=0.5)"),
    (lambda x: x ** 3, "PowScalar(exponent=3)"),
    (lambda x: tg.cat([x, x], dim=1), "Cat(dim=1)"),
    (lambda x: x.float(), "Copy(dtype=float32)"),
    (lambda x: x @ x.T, "MatMul"),
    (lambda x: F.cross_entropy(x, tg.tensor([0, 1, 2, 3])), "CrossEntropy(reduction='mean')"),
    (lambda x: F.linear(x, tg.ones(2, 6, dtype=x.dtype)), "Linear"),
]


@pytest.mark.parametrize("fn, label", LABELLED_OPS, ids=[label for _, label in LABELLED_OPS])
def test_op_labels_name_their_arguments_before_and_after_backward(fn, label):
    x = tg.tensor(X, requires_grad=True)
    y = fn(x)
    before = draw(y)
    out_op = next(a for a, b, _ in before.edges if before.first(b) in ("loss", "output"))
    assert before.first(out_op) == label
    y.backward(tg.ones_like(y))            # frees what the ops saved
    assert draw(y).source == before.source


@pytest.mark.parametrize("index, label", [
    (0, "GetItem[0]"),
    ((slice(None), slice(1, 3)), "GetItem[:, 1:3]"),
    ((slice(None, None, 2), Ellipsis), "GetItem[::2, ...]"),
    ((tg.arange(4), tg.tensor([0, 1, 2, 3])), "GetItem[int64[4], int64[4]]"),
])
def test_getitem_label_shows_the_index_until_backward_frees_it(index, label):
    x = tg.tensor(X, requires_grad=True)
    y = x[index]
    assert draw(y).first("op0") == label
    y.backward(tg.ones_like(y))
    # backward frees index arrays; an index of ints and slices is kept (the node can run again)
    kept = not isinstance(index, tuple) or not any(isinstance(i, tg.Tensor) for i in index)
    assert draw(y).first("op0") == (label if kept else "GetItem[index freed by backward]")


# ---- names, modules and max_depth --------------------------------------------------------------

@pytest.mark.parametrize("kind", ["model", "dict", "pairs"])
def test_parameters_are_named_from_a_model_a_dict_or_pairs(kind):
    model, loss = mlp_step()
    params = {"model": model, "dict": dict(model.named_parameters()),
              "pairs": list(model.named_parameters())}[kind]
    g = draw(loss, params)
    leaves = [n for n in g.nodes if n.startswith("leaf")]
    assert sorted(g.first(n) for n in leaves) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert g.nodes[g.named("0.weight")[0]] == "0.weight\n(4, 3) float32"


def test_without_params_leaves_show_only_shape_and_dtype():
    _, loss = mlp_step()
    g = draw(loss)
    leaves = sorted(g.nodes[n] for n in g.nodes if n.startswith("leaf"))
    assert leaves == sorted(["(2,) float32", "(2, 4) float32", "(4,) float32", "(4, 3) float32"])


def test_ops_and_parameters_sit_in_boxes_named_after_their_modules():
    model, loss = mlp_step()
    g = draw(loss, model)
    assert g.box_labels == ["Sequential", "0: Linear", "1: ReLU", "2: Linear", "CrossEntropyLoss"]
    placed = sorted((g.first(n), g.boxes[n]) for n in g.nodes)
    first, second = ("Sequential", "0: Linear"), ("Sequential", "2: Linear")
    assert placed == sorted([
        ("Linear", first), ("0.weight", first), ("0.bias", first), ("ReLU", ("Sequential", "1: ReLU")),
        ("Linear", second), ("2.weight", second), ("2.bias", second),
        ("CrossEntropy(reduction='mean')", ("CrossEntropyLoss",)), ("loss", ())])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.encoder(x))


def test_nested_boxes_take_the_attribute_names_of_their_parents():
    tg.manual_seed(0)
    net = Net()
    g = draw(net(tg.randn(2, 3)).sum())
    assert g.box_labels == ["Net", "encoder: Sequential", "0: Linear", "1: Tanh", "head: Linear"]
    assert g.boxes[g.named("Tanh")[0]] == ("Net", "encoder: Sequential", "1: Tanh")


def test_a_submodule_called_directly_is_named_from_the_model_given():
    tg.manual_seed(0)
    net = Net()
    out = net.head(tg.randn(2, 4)).sum()
    assert draw(out, net).box_labels == ["head: Linear"]
    assert draw(out).box_labels == ["Linear"]


def test_group_modules_false_draws_the_same_nodes_and_edges_without_boxes():
    model, loss = mlp_step()
    grouped, flat = draw(loss, model), draw(loss, model, group_modules=False)
    assert "subgraph" not in flat.source
    assert sorted(flat.nodes.values()) == sorted(grouped.nodes.values())
    assert flat.edge_pairs() == grouped.edge_pairs()


def test_max_depth_collapses_deeper_modules_into_one_node_each():
    model, loss = mlp_step()
    g = draw(loss, model, max_depth=1)
    assert sorted(g.nodes.values()) == sorted([
        "0: Linear\n1 op, 2 parameters\n(5, 4) float32", "1: ReLU\n1 op\n(5, 4) float32",
        "2: Linear\n1 op, 2 parameters\n(5, 2) float32", "CrossEntropy(reduction='mean')\n() float32",
        "loss\n() float32"])
    assert g.edge_pairs() == Counter({("0: Linear", "1: ReLU"): 1, ("1: ReLU", "2: Linear"): 1,
                                      ("2: Linear", "CrossEntropy(reduction='mean')"): 1,
                                      ("CrossEntropy(reduction='mean')", "loss"): 1})
    assert g.box_labels == ["Sequential", "CrossEntropyLoss"]
    assert all('shape="box3d"' in g.attrs[n] for n in g.nodes if n.startswith("mod"))

    top = draw(loss, model, max_depth=0)
    assert sorted(top.nodes.values()) == sorted([
        "Sequential\n3 ops, 4 parameters\n(5, 2) float32", "CrossEntropyLoss\n1 op\n() float32",
        "loss\n() float32"])
    assert len(top.edges) == 2 and top.box_labels == []
    assert draw(loss, model, max_depth=2).source == draw(loss, model).source


def test_max_depth_draws_an_input_that_requires_grad_instead_of_counting_it_as_a_parameter():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    x = tg.randn(4, 3, requires_grad=True)
    g = draw(model(x).sum(), model, max_depth=1)
    assert "0: Linear\n1 op, 2 parameters\n(4, 2) float32" in g.nodes.values()
    assert "(4, 3) float32" in g.nodes.values()  # x, drawn as a leaf


def test_max_depth_keeps_a_leaf_used_outside_the_collapsed_module():
    tg.manual_seed(0)
    lin = nn.Linear(3, 3)
    x = tg.randn(2, 3, requires_grad=True)
    g = draw(lin(x) + x, {"x": x}, max_depth=0)
    assert sorted(g.nodes.values()) == sorted(["x\n(2, 3) float32", "Linear\n1 op, 2 parameters\n(2, 3) float32",
                                               "Add\n(2, 3) float32", "output\n(2, 3) float32"])
    assert g.edge_pairs() == Counter({("x", "Linear"): 1, ("x", "Add"): 1, ("Linear", "Add"): 1,
                                      ("Add", "output"): 1})


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin, self.act = nn.Linear(2, 2), nn.Tanh()

    def forward(self, x):
        return self.act(self.lin(x)) + x


def test_max_depth_makes_a_graph_of_thousands_of_ops_a_handful_of_nodes():
    tg.manual_seed(0)
    blocks = nn.Sequential(*[Block() for _ in range(2000)])  # 6,000 ops in 2,000 boxes of 3 boxes
    loss = blocks(tg.randn(1, 2)).sum()
    assert len(draw(loss, blocks).nodes) == 6000 + 4000 + 1 + 1
    g = draw(loss, blocks, max_depth=0)
    assert sorted(g.nodes.values()) == sorted(["Sequential\n6000 ops, 4000 parameters\n(1, 2) float32",
                                               "Sum\n() float32", "loss\n() float32"])


def test_a_deep_chain_is_drawn_without_recursion():
    x = tg.tensor([1.0], requires_grad=True)
    h = x
    for _ in range(30_000):  # far past Python's recursion limit
        h = h * 1.0
    g = draw(h, {"x": x})
    assert len(g.nodes) == 30_000 + 2 and len(g.edges) == 30_001


# ---- drawing around backward(), saved arrays, values -------------------------------------------

def test_the_drawing_is_the_same_before_and_after_backward():
    model, loss = mlp_step()
    before = tg.draw_graph(loss, model).source
    loss.backward(retain_graph=True)
    assert tg.draw_graph(loss, model).source == before
    loss.backward()                                   # frees the saved arrays
    assert tg.draw_graph(loss, model).source == before


def test_show_saved_draws_each_saved_array_as_its_own_node():
    a, b = tg.tensor([1.0, -2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True)
    c = (a * b).exp().clamp(min=0.5)
    g = draw(c, {"a": a, "b": b}, show_saved=True)
    saved = {n: g.nodes[n] for n in g.nodes if n.startswith("saved")}
    assert sorted(saved.values()) == sorted(["saved input 0\n(2,) float32", "saved input 1\n(2,) float32",
                                             "saved output\n(2,) float32", "saved[0]\n(2,) bool"])
    assert Counter(g.first(b_) for a_, b_, _ in g.edges if a_ in saved) == Counter(
        {"Mul": 2, "Exp": 1, "Clamp(min=0.5)": 1})
    assert all('style="dashed"' in attrs for a_, _, attrs in g.edges if a_ in saved)
    assert len(g.named("a")) == 1 and len(g.nodes) == 3 + 2 + 1 + 4  # saved copies are not leaves
    assert "array saved for backward" in g.legend and "freed" not in g.legend


def test_show_saved_draws_the_arrays_of_a_saved_index():
    x = tg.tensor(X, requires_grad=True)
    g = draw(x[tg.arange(4), tg.tensor([0, 1, 2, 3])], show_saved=True)
    saved = sorted(g.nodes[n] for n in g.nodes if n.startswith("saved"))
    assert saved == ["saved[1][0]\n(4,) int64", "saved[1][1]\n(4,) int64"]


def test_show_saved_after_backward_says_the_arrays_were_freed():
    a = tg.tensor([1.0, -2.0], requires_grad=True)
    y = (a * a).sum()
    y.backward()
    g = draw(y, show_saved=True)
    assert not [n for n in g.nodes if n.startswith("saved")]
    assert "saved arrays: freed by backward()" in g.legend


def test_show_data_and_show_grad_print_scalars_micrograd_style():
    a, b = tg.tensor(2.0, requires_grad=True), tg.tensor(-3.0, requires_grad=True)
    c = a * b
    loss = c + a
    g = draw(loss, {"a": a, "b": b, "c": c}, show_data=True, show_grad=True)
    assert g.nodes[g.named("a")[0]] == "a\n() float32\ndata 2\ngrad None"
    assert g.nodes[g.named("c")[0]] == "c\nMul\n() float32\ndata -6"
    loss.backward()
    g = draw(loss, {"a": a, "b": b, "c": c}, show_data=True, show_grad=True)
    assert g.nodes[g.named("a")[0]] == "a\n() float32\ndata 2\ngrad -2"
    assert g.nodes[g.named("b")[0]] == "b\n() float32\ndata -3\ngrad 2"
    assert g.nodes[g.named("loss")[0]] == "loss\n() float32\ndata -4"


def test_show_data_lists_small_tensors_and_summarises_large_ones():
    v = tg.tensor([1.0, 2.5, -3.0], requires_grad=True)
    tg.manual_seed(0)
    w = tg.randn(20, 30, requires_grad=True)
    g = draw((v.sum() + w.sum()), {"v": v, "w": w}, show_data=True)
    assert g.nodes[g.named("v")[0]].split("\n")[2] == "data [1, 2.5, -3]"
    d = w.data.astype(np.float64)
    assert g.nodes[g.named("w")[0]].split("\n")[2] == (
        f"data mean {d.mean():.3g} std {d.std():.3g} min {d.min():.3g} max {d.max():.3g}")


def test_the_output_is_named_loss_output_or_as_given():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert draw(x.sum()).named("loss") and draw(x * 2).named("output")
    assert draw(x * 2, name="logits").named("logits")
    g = draw([x.sum(), x * 3], name=["total", "tripled"])
    assert g.edge_pairs() == Counter({("(2,) float32", "Sum"): 1, ("(2,) float32", "Mul"): 1,
                                      ("Sum", "total"): 1, ("Mul", "tripled"): 1})
    assert draw(x, name="x").nodes == {"out0": "x\n(2,) float32"}


def test_rankdir_legend_and_quoting():
    x = tg.tensor([1.0], requires_grad=True)
    g = tg.draw_graph(x * 2, {'say "hi" \\ ': x}, rankdir="LR", legend=False)
    assert "rankdir=LR" in g.source and "legend" not in g.source
    assert r'label="say \"hi\" \\ \n(1,) float32"' in g.source
    legend = draw(x * 2).legend
    assert "lightblue" in legend and "saved" not in legend and "collapsed" not in legend


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(root=5), TypeError, "root must be a Tensor"),
    (dict(root=[]), TypeError, "root must be a Tensor"),
    (dict(rankdir="XY"), ValueError, "rankdir must be one of TB, LR, BT, RL, got 'XY'"),
    (dict(max_depth=-1), ValueError, "max_depth must be None or an integer >= 0, got -1"),
    (dict(max_depth=1.5), ValueError, "max_depth must be None or an integer >= 0"),
    (dict(params=3), TypeError, "params must be a Module, a dict"),
    (dict(params={"w": 3}), TypeError, "params must map names to Tensors, got ('w', 3)"),
    (dict(name=["a", "b"]), ValueError, "name must give one string per root (1)"),
])
def test_bad_arguments_are_named(kwargs, error, message):
    x = tg.tensor([1.0], requires_grad=True)
    kwargs = {"root": x * 2, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        tg.draw_graph(**kwargs)


def test_draw_model_step_draws_one_forward_and_loss():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x, y = tg.randn(5, 3), np.array([0, 1, 1, 0, 1])
    g = Drawn(draw_model_step(model, x, y, nn.CrossEntropyLoss()))
    assert g.named("0.weight") and g.named("loss") and not any("grad" in v for v in g.nodes.values())
    assert model[0].weight.grad is None
    g = Drawn(draw_model_step(model, x, y, nn.CrossEntropyLoss(), show_grad=True, max_depth=0))
    assert model[0].weight.grad is not None and g.named("Sequential")
    with pytest.raises(TypeError, match="model must be an nn.Module, got function"):
        draw_model_step(lambda t: t, x, y, nn.CrossEntropyLoss())


def test_importing_the_package_does_not_import_graphviz():
    code = "import sys, tinygrad_mnist; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- files -------------------------------------------------------------------------------------

@needs_dot
def test_save_graph_renders_svg_and_png_with_dot(tmp_path):
    model, loss = mlp_step()
    graph = tg.draw_graph(loss, model, show_saved=True)
    svg = save_graph(graph, tmp_path / "step.svg")
    png = save_graph(graph, tmp_path / "step.png")
    gv = save_graph(graph, tmp_path / "step.gv")
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "0.weight" in text and "CrossEntropyLoss" in text and "saved input 0" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert gv.read_text() == graph.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step.gv", "step.png", "step.svg"]


@needs_dot
def test_the_digraph_renders_inline_as_in_jupyter():
    x = tg.tensor([1.0], requires_grad=True)
    bundle = tg.draw_graph(x * 2, {'say "hi" \\ ': x})._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "say &quot;hi&quot; \\" in bundle["image/svg+xml"]


def test_save_graph_without_dot_writes_the_source_and_says_how_to_install(tmp_path, monkeypatch):
    empty = tmp_path / "empty_bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    graph = tg.draw_graph(tg.tensor([1.0], requires_grad=True) * 2)
    with pytest.raises(RuntimeError, match=r"'dot' program was not found.*apt-get install graphviz"):
        save_graph(graph, tmp_path / "g.svg")
    assert (tmp_path / "g.gv").read_text() == graph.source
    assert not (tmp_path / "g.svg").exists()


def test_save_graph_names_an_unknown_suffix(tmp_path):
    graph = tg.draw_graph(tg.tensor([1.0], requires_grad=True) * 2)
    with pytest.raises(ValueError, match=r"'.*g\.jpeg' from its suffix; expected one of .svg, .png"):
        save_graph(graph, tmp_path / "g.jpeg")


def test_a_name_that_is_not_a_string_and_a_graph_that_is_not_one_are_named(tmp_path):
    loss = (tg.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match="name must give one string per root"):
        tg.draw_graph(loss, name=5)
    with pytest.raises(TypeError, match="save_graph: expected the graph draw_graph returns, got str"):
        save_graph("digraph {}", tmp_path / "x.svg")
