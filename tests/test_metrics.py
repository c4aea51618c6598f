"""metrics equal scikit-learn's (a test-only oracle) on random inputs and on edge cases."""
import warnings

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import metrics
from tinygrad_mnist.errors import DTypeError, ShapeError

skm = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the oracle for these tests")


@pytest.fixture(autouse=True)
def _quiet_sklearn():
    # scikit-learn warns where a ratio is undefined (our zero_division cases); the numbers are compared
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def random_labels(seed, n=200, n_classes=10, pred_classes=None):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, n)
    # mostly right, so every cell of the table is non-trivial
    noise = rng.integers(0, pred_classes or n_classes, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, noise)
    return y_true, y_pred


# (y_true, y_pred, labels) covering the edge cases the issue names
EDGE_CASES = {
    "class never predicted": ([0, 1, 2, 2, 1, 0, 2], [0, 1, 1, 1, 1, 0, 0], None),
    "class only predicted, never true": ([0, 0, 1, 1], [0, 3, 1, 3], None),
    "label absent from both": ([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], [0, 1, 2]),
    "labels leave a class out": ([0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 0], [2, 0]),
    "binary": ([0, 1, 1, 0, 1, 1, 0, 0], [1, 1, 0, 0, 1, 1, 1, 0], None),
    "binary bools": ([True, False, True, True], [True, True, False, True], None),
    "single class, all right": ([3, 3, 3], [3, 3, 3], None),
    "single class, all wrong": ([3, 3, 3], [5, 5, 5], None),
    "strings": (["cat", "dog", "cat", "bird"], ["cat", "cat", "cat", "dog"], None),
    "strings with order": (["cat", "dog", "cat", "bird"], ["cat", "cat", "cat", "dog"], ["dog", "cat", "bird"]),
    "one sample": ([4], [2], None),
}


def all_cases():
    for seed in range(4):
        yield f"random seed {seed}", (*random_labels(seed), None)
    yield "random, 3 classes never predicted", (*random_labels(9, pred_classes=7), None)
    yield from EDGE_CASES.items()


CASES = dict(all_cases())
case_ids = pytest.mark.parametrize("case", list(CASES))


@case_ids
def test_accuracy_and_confusion_matrix_equal_sklearn(case):
    y_true, y_pred, labels = CASES[case]
    assert metrics.accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
    ours = metrics.confusion_matrix(y_true, y_pred, labels=labels)
    np.testing.assert_array_equal(ours, skm.confusion_matrix(y_true, y_pred, labels=labels))
    assert ours.dtype == np.int64


@case_ids
@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_precision_recall_fscore_support_equal_sklearn(case, average, zero_division):
    y_true, y_pred, labels = CASES[case]
    ours = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average,
                                                   zero_division=zero_division)
    theirs = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average,
                                                 zero_division=zero_division)
    for name, a, b in zip(["precision", "recall", "f1", "support"], ours, theirs):
        if b is None:
            assert a is None, name
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0, equal_nan=True, err_msg=name)


def test_default_zero_division_is_sklearns_default_value():
    y_true, y_pred, _ = EDGE_CASES["class never predicted"]
    precision, *_ = metrics.precision_recall_fscore_support(y_true, y_pred)
    np.testing.assert_array_equal(precision, skm.precision_score(y_true, y_pred, average=None))
    assert precision[2] == 0.0  # class 2 is never predicted


def sklearn_report_text(y_true, y_pred, **kwargs):
    text = skm.classification_report(y_true, y_pred, **kwargs)
    if metrics.accuracy(y_true, y_pred) > 0:
        return text
    # when no sample is right, scikit-learn's counts come out as floats and it prints support
    # "3.0"; the numbers are the same, we print integer counts as it does in every other case
    return "".join(line[:-9] + f"{int(float(line[-9:])):>9}\n" if line.endswith(".0") else line + "\n"
                   for line in text.splitlines())


@case_ids
@pytest.mark.parametrize("digits", [2, 4])
def test_classification_report_text_equals_sklearn(case, digits):
    y_true, y_pred, labels = CASES[case]
    ours = metrics.classification_report(y_true, y_pred, labels=labels, digits=digits)
    assert ours == sklearn_report_text(y_true, y_pred, labels=labels, digits=digits)


@case_ids
def test_classification_report_dict_equals_sklearn(case):
    y_true, y_pred, labels = CASES[case]
    ours = metrics.classification_report(y_true, y_pred, labels=labels, output_dict=True)
    theirs = skm.classification_report(y_true, y_pred, labels=labels, output_dict=True)
    assert list(ours) == list(theirs)
    for key in theirs:
        if isinstance(theirs[key], dict):
            assert list(ours[key]) == list(theirs[key])
            np.testing.assert_allclose(list(ours[key].values()), list(theirs[key].values()), rtol=1e-12)
        else:
            assert ours[key] == pytest.approx(theirs[key], rel=1e-12)


def test_classification_report_with_target_names_and_long_names():
    y_true, y_pred = random_labels(5, n=300, n_classes=3)
    names = ["setosa", "a rather long class name", "z"]
    for digits in (2, 3, 15):
        ours = metrics.classification_report(y_true, y_pred, target_names=names, digits=digits)
        assert ours == skm.classification_report(y_true, y_pred, target_names=names, digits=digits)
    ours = metrics.classification_report(y_true, y_pred, target_names=names, output_dict=True)
    assert ours == skm.classification_report(y_true, y_pred, target_names=names, output_dict=True)


def test_metrics_accept_tensors_and_lists():
    y_true, y_pred = random_labels(11, n=50)
    tensors = tg.tensor(y_true), tg.tensor(y_pred)
    lists = y_true.tolist(), y_pred.tolist()
    for args in (tensors, lists):
        assert metrics.accuracy(*args) == metrics.accuracy(y_true, y_pred)
        np.testing.assert_array_equal(metrics.confusion_matrix(*args), metrics.confusion_matrix(y_true, y_pred))
        assert metrics.classification_report(*args) == metrics.classification_report(y_true, y_pred)


# ---- scores: precision-recall curves and average precision -------------------------------------

def random_scores(seed, n=150, n_classes=5, absent=()):
    rng = np.random.default_rng(seed)
    y_true = rng.choice([c for c in range(n_classes) if c not in absent], n)
    logits = 1.5 * np.eye(n_classes)[y_true] + rng.standard_normal((n, n_classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y_true, np.round(probs, 2)  # rounding makes tied scores, which thresholds must merge


SCORE_CASES = {
    "random": random_scores(0),
    "random, float32 scores": (random_scores(1)[0], random_scores(1)[1].astype(np.float32)),
    "class 3 absent from y_true": random_scores(2, absent=(3,)),
    "binary": random_scores(3, n=40, n_classes=2),
    "all scores tied": (np.array([0, 1, 1, 0, 2]), np.full((5, 3), 0.5)),
    "single class": (np.zeros(6, dtype=int), np.linspace(0, 1, 6)[:, None]),
}


@pytest.mark.parametrize("case", list(SCORE_CASES))
def test_precision_recall_curve_equals_sklearn_per_class(case):
    y_true, scores = SCORE_CASES[case]
    curves = metrics.precision_recall_curve(y_true, scores)
    assert list(curves) == list(range(scores.shape[1]))
    for c, curve in curves.items():
        expected = skm.precision_recall_curve(y_true == c, scores[:, c])
        for name, ours, theirs in zip(curve._fields, curve, expected):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"class {c} {name}")


@pytest.mark.parametrize("case", list(SCORE_CASES))
@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
def test_average_precision_equals_sklearn(case, average):
    y_true, scores = SCORE_CASES[case]
    one_hot = (y_true[:, None] == np.arange(scores.shape[1])).astype(int)
    ours = metrics.average_precision(y_true, scores, average=average)
    np.testing.assert_allclose(ours, skm.average_precision_score(one_hot, scores, average=average),
                               rtol=1e-12, atol=1e-15)


def test_average_precision_per_class_equals_sklearn_multiclass_form():
    y_true, scores = SCORE_CASES["random"]
    np.testing.assert_allclose(metrics.average_precision(y_true, scores),
                               skm.average_precision_score(y_true, scores, average=None), rtol=1e-12)


def test_score_metrics_take_named_labels_for_columns():
    y_true, scores = random_scores(4, n_classes=3)
    names = np.array(["ant", "bee", "cat"])
    curves = metrics.precision_recall_curve(names[y_true], scores, labels=names)
    assert list(curves) == ["ant", "bee", "cat"]
    expected_precision = skm.precision_recall_curve(y_true == 1, scores[:, 1])[0]
    np.testing.assert_array_equal(curves["bee"].precision, expected_precision)
    np.testing.assert_allclose(metrics.average_precision(names[y_true], scores, labels=names),
                               metrics.average_precision(y_true, scores), rtol=0)


@pytest.mark.parametrize("shape", [(30,), (12, 4)])
def test_mean_squared_error_equals_sklearn(shape):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape)
    assert metrics.mean_squared_error(a, b) == pytest.approx(skm.mean_squared_error(a, b), rel=1e-12)
    mixed = metrics.mean_squared_error(tg.tensor(a), b.tolist())
    assert mixed == metrics.mean_squared_error(a, b)
    assert metrics.mean_squared_error(a, a) == 0.0


# ---- errors name the argument and the shapes --------------------------------------------------

m = metrics
BAD_INPUTS = [  # (call, error type, words the message must contain)
    (lambda: m.accuracy([0, 1, 2], [0, 1]), ShapeError, ["y_true", "y_pred", "(3,)", "(2,)"]),
    (lambda: m.confusion_matrix([0, 1], np.zeros((2, 10))), ShapeError, ["y_pred", "(2, 10)", "argmax"]),
    (lambda: m.precision_recall_fscore_support([], []), ShapeError, ["y_true", "empty"]),
    (lambda: m.accuracy([0.5, 1.0], [0, 1]), DTypeError, ["y_true", "float64", "non-integer"]),
    (lambda: m.accuracy(["a", "b"], [0, 1]), DTypeError, ["mix", "strings"]),
    (lambda: m.confusion_matrix([0, 1], [0, 1], labels=[]), ShapeError, ["labels", "(0,)"]),
    (lambda: m.confusion_matrix([0, 1], [0, 1], labels=[0, 1, 0]), ValueError, ["labels", "repeat"]),
    (lambda: m.confusion_matrix([0, 1], [0, 1], labels=["a"]), DTypeError, ["labels", "mix"]),
    (lambda: m.precision_recall_fscore_support([0], [0], average="binary"), ValueError, ["average", "'binary'"]),
    (lambda: m.precision_recall_fscore_support([0], [0], zero_division="warn"), ValueError, ["zero_division"]),
    (lambda: m.classification_report([0, 1], [0, 1], target_names=["a"]), ShapeError,
     ["target_names", "1 names", "2 classes"]),
    (lambda: m.precision_recall_curve([0, 1, 2], np.ones((3, 2))), ValueError, ["y_true", "[2]", "column"]),
    (lambda: m.precision_recall_curve([0, 1], np.ones((3, 2))), ShapeError, ["scores", "(3, 2)", "(2,)"]),
    (lambda: m.average_precision([0, 1], np.ones((2, 2)), labels=[0, 1, 2]), ShapeError,
     ["labels", "3", "(2, 2)"]),
    (lambda: m.binary_average_precision([1, 0], [0.5, np.nan]), DTypeError, ["score", "finite"]),
    (lambda: m.mean_squared_error(np.ones(3), np.ones((3, 1))), ShapeError, ["y_true", "(3,)", "(3, 1)"]),
]


@pytest.mark.parametrize("call, error, words", BAD_INPUTS)
def test_bad_input_errors_name_the_problem(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_labels_mixing_bytes_and_strings_or_holding_inf_are_refused():
    with pytest.raises(DTypeError, match="mix label types"):
        metrics.confusion_matrix(np.array([b"a", b"b"]), np.array(["a", "b"]))
    with pytest.raises(DTypeError, match="class labels"):
        metrics.accuracy([np.inf, 1.0], [np.inf, 1.0])
    assert metrics.accuracy(np.array([b"a", b"b"]), np.array([b"a", b"a"])) == 0.5  # bytes on both sides


def test_metrics_read_tensors_that_require_grad():
    scores = tg.tensor([[0.2, 0.8], [0.9, 0.1], [0.3, 0.7]], requires_grad=True)
    y = np.array([1, 0, 0])
    assert metrics.accuracy(y, scores.argmax(dim=1)) == metrics.accuracy(y, scores.detach().numpy().argmax(1))
    np.testing.assert_array_equal(metrics.average_precision(y, scores), metrics.average_precision(y, scores.detach().numpy()))
    assert metrics.mean_squared_error(scores, scores.detach() * 2) == metrics.mean_squared_error(
        scores.detach().numpy(), scores.detach().numpy() * 2)
