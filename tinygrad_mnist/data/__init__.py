"""Data: IDX files, the MNIST family, preprocessing, splits and the DataLoader.

```python
from tinygrad_mnist.data import MNIST, DataLoader, scale, flatten, stratified_split
train = MNIST(train=True)                       # bundled with the package: no network needed
X, y = flatten(scale(train.data)), train.targets
(X_tr, y_tr), (X_val, y_val) = stratified_split((X, y), (0.9, 0.1), generator=0)
for xb, yb in DataLoader((X_tr, y_tr), batch_size=64, shuffle=True):
    ...                                         # xb: float32 Tensor (64, 784), yb: int64 Tensor (64,)
```
"""
from .datasets import KMNIST, MNIST, FashionMNIST
from .download import default_root
from .files import Checksum
from .idx import parse_idx, read_idx, write_idx
from .loader import DataLoader, Subset, TensorDataset
from .splits import class_subset, random_split, stratified_split
from . import transforms
from .transforms import Standardizer, flatten, scale

__all__ = [
    "MNIST", "FashionMNIST", "KMNIST", "default_root", "Checksum", "parse_idx", "read_idx", "write_idx",
    "DataLoader", "Subset", "TensorDataset", "random_split", "stratified_split", "class_subset",
    "Standardizer", "flatten", "scale", "transforms",
]
