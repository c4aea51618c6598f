"""Each plot writes a non-empty PNG of the expected pixel size, atomically, without pyplot."""
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import metrics, plots
from tinygrad_mnist.errors import ShapeError

mpimg = pytest.importorskip("matplotlib.image", reason="plots need matplotlib")

HISTORY = {
    "train_loss": [1.2, 0.6, 0.4, 0.3, 0.25],
    "val_loss": [1.0, 0.55, 0.42, 0.38, 0.39],
    "train_acc": [0.70, 0.85, 0.90, 0.92, 0.94],
    "val_acc": [0.75, 0.86, 0.89, 0.90, 0.90],
}


def png_size(path):
    """(width, height) from the PNG header, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_png(path, written, width, height):
    assert written == path
    assert path.stat().st_size > 1000
    assert png_size(path) == (width, height)
    pixels = mpimg.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels[..., :3].std() > 0.05, "the image is (nearly) blank"
    leftovers = [p.name for p in path.parent.iterdir() if p.suffix != ".png"]
    assert not leftovers, f"temporary files left behind: {leftovers}"


def red_pixels(path):
    """How many pixels have exactly the colour wrong predictions are drawn in."""
    rgb = np.round(mpimg.imread(path)[..., :3] * 255).astype(int)
    red = [int(plots.WRONG_COLOR[i:i + 2], 16) for i in (1, 3, 5)]
    return int(np.all(rgb == red, axis=-1).sum())


def fake_digits(n, seed=0):
    """n 28x28 images with a bright blob somewhere, and random labels 0-9."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:28, :28]
    centres = rng.integers(8, 20, (n, 2))
    images = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 20.0)
    labels = rng.integers(0, 10, n)
    return images.astype(np.float32), labels


def test_history_curves_from_a_dict(tmp_path):
    path = tmp_path / "history.png"
    assert_png(path, plots.plot_history(HISTORY, path), 1100, 450)


def test_history_curves_from_an_object_with_other_spellings_and_gaps(tmp_path):
    history = SimpleNamespace(loss=[0.9, 0.5, 0.3], val_loss=[None, 0.6, 0.5],
                              train_accuracy=[0.6, 0.8, 0.9], val_accuracy=[None, 0.7, 0.8])
    path = tmp_path / "history.png"
    assert_png(path, plots.plot_history(history, path, dpi=50), 550, 225)


def test_history_from_train_history_without_validation(tmp_path):
    from tinygrad_mnist.train import History

    history = History()
    for epoch, loss, acc in [(1, 0.8, 0.7), (2, 0.5, 0.8), (3, 0.4, 0.85)]:
        history.append(epoch=epoch, train_loss=loss, train_acc=acc)  # val_* are NaN
    epochs, series = plots._history_series(history)
    np.testing.assert_array_equal(epochs, [1, 2, 3])
    assert sorted(series) == ["train_acc", "train_loss"]
    path = tmp_path / "history.png"
    assert_png(path, plots.plot_history(history, path), 1100, 450)


def test_history_without_validation_or_accuracy_still_plots(tmp_path):
    path = tmp_path / "history.png"
    assert_png(path, plots.plot_history({"train_loss": [3.0, 2.0, 1.5], "val_loss": []}, path), 1100, 450)


def test_history_without_any_loss_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="train_loss.*val_loss.*epochs"):
        plots.plot_history({"epochs": [1, 2]}, tmp_path / "h.png")


def test_confusion_matrix_heatmap(tmp_path):
    images, y_true = fake_digits(300)
    y_pred = np.where(np.arange(300) % 4 == 0, (y_true + 1) % 10, y_true)
    cm = metrics.confusion_matrix(y_true, y_pred)
    path = tmp_path / "cm.png"
    assert_png(path, plots.plot_confusion_matrix(cm, path), 750, 650)
    named = tmp_path / "named" / "cm.png"  # missing folders are created
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert_png(named, plots.plot_confusion_matrix(cm, named, class_names=names), 750, 650)


def test_confusion_matrix_of_fractions_and_bad_shapes(tmp_path):
    path = tmp_path / "cm.png"
    assert_png(path, plots.plot_confusion_matrix(np.array([[0.9, 0.1], [0.2, 0.8]]), path), 750, 650)
    with pytest.raises(ShapeError, match=r"square.*\(2, 3\)"):
        plots.plot_confusion_matrix(np.ones((2, 3)), tmp_path / "x.png")
    with pytest.raises(ShapeError, match="class_names has 3 names"):
        plots.plot_confusion_matrix(np.ones((2, 2), dtype=int), tmp_path / "x.png", class_names=["a", "b", "c"])


@pytest.mark.parametrize("layout", ["(N, 784)", "(N, 28, 28)", "(N, 1, 28, 28) Tensor", "Tensor that requires grad"])
def test_prediction_grid_sizes_and_layouts(tmp_path, layout):
    images, labels = fake_digits(12)
    data = {"(N, 784)": images.reshape(12, 784), "(N, 28, 28)": images,
            "(N, 1, 28, 28) Tensor": tg.tensor(images[:, None]),
            "Tensor that requires grad": tg.tensor(images.astype(np.float32), requires_grad=True)}[layout]
    path = tmp_path / "pred.png"
    # 12 images in 4 columns: 3 rows; 4 * 1.6 by 3 * 1.8 + 0.6 inches at 100 dpi
    assert_png(path, plots.plot_predictions(data, labels, labels, path, n_cols=4), 640, 600)


def test_prediction_grid_marks_wrong_predictions_in_red(tmp_path):
    images, labels = fake_digits(40)
    all_right = plots.plot_predictions(images, labels, labels, tmp_path / "right.png")
    wrong = labels.copy()
    wrong[[3, 7]] = (wrong[[3, 7]] + 1) % 10
    two_wrong = plots.plot_predictions(images, labels, wrong, tmp_path / "wrong.png",
                                       class_names=[f"digit {i}" for i in range(10)])
    assert png_size(all_right) == png_size(two_wrong) == (800, 960)  # 25 shown, 5 x 5
    assert red_pixels(all_right) == 0
    assert red_pixels(two_wrong) > 2 * 4 * 100  # two frames, four sides, 100+ pixels a side


def test_prediction_grid_bad_shapes(tmp_path):
    images, labels = fake_digits(5)
    with pytest.raises(ShapeError, match=r"images.*\(5, 27\)"):
        plots.plot_predictions(images.reshape(5, -1)[:, :27], labels, labels, tmp_path / "p.png")
    with pytest.raises(ShapeError, match=r"y_pred shape \(4,\)"):
        plots.plot_predictions(images, labels, labels[:4], tmp_path / "p.png")


def test_pr_curves(tmp_path):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 400)
    scores = np.eye(10)[y_true] * 2 + rng.standard_normal((400, 10))
    path = tmp_path / "pr.png"
    assert_png(path, plots.plot_pr_curves(y_true, scores, path), 800, 650)
    many = rng.integers(0, 12, 400)
    path12 = tmp_path / "pr12.png"
    written = plots.plot_pr_curves(many, np.eye(12)[many] + 1.5 * rng.random((400, 12)), path12,
                                   class_names=[f"class {c}" for c in range(12)], dpi=80)
    assert_png(path12, written, 640, 520)


def test_pr_curves_name_count_must_match_columns(tmp_path):
    with pytest.raises(ShapeError, match=r"class_names has 2 names.*\(4, 3\)"):
        plots.plot_pr_curves([0, 1, 2, 0], np.eye(3)[[0, 1, 2, 0]], tmp_path / "p.png", class_names=["a", "b"])


def test_saving_replaces_the_old_file_and_a_failed_save_leaves_it_intact(tmp_path, monkeypatch):
    path = tmp_path / "history.png"
    path.write_bytes(b"old")
    plots.plot_history(HISTORY, path)
    first = path.read_bytes()
    assert first != b"old"

    from matplotlib.figure import Figure

    def crash_midway(self, file, **kwargs):
        file.write(b"half a png")
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", crash_midway)
    with pytest.raises(KeyboardInterrupt):
        plots.plot_history(HISTORY, path)
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["history.png"]


def test_matplotlib_is_imported_only_when_plotting_and_pyplot_never(tmp_path):
    script = (
        "import sys, tinygrad_mnist, tinygrad_mnist.plots, tinygrad_mnist.metrics\n"
        "assert 'matplotlib' not in sys.modules, 'imported at module import'\n"
        f"tinygrad_mnist.plots.plot_history({{'train_loss': [1.0, 0.5]}}, {str(tmp_path / 'h.png')!r})\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
