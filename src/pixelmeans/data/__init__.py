"""The data layer: load, validate and cache MNIST-family images.

Public names: `load_dataset`, `load_path`, `load_test_split`, `Dataset`, `fetch_dataset`, `data_root`, and the
format readers/writers in `idx`, `tabular` and `images`.
"""

from pixelmeans.data.catalog import CATALOG, DatasetInfo
from pixelmeans.data.dataset import Dataset
from pixelmeans.data.fetch import ChecksumError, DataUnavailableError, data_root, fetch_dataset
from pixelmeans.data.idx import read_idx, write_idx
from pixelmeans.data.images import read_png_folder, write_png_folder
from pixelmeans.data.load import load_dataset, load_path, load_test_split
from pixelmeans.data.tabular import read_csv, read_npz, write_csv, write_npz

__all__ = [
    "CATALOG", "ChecksumError", "DataUnavailableError", "Dataset", "DatasetInfo",
    "data_root", "fetch_dataset", "load_dataset", "load_path", "load_test_split", "read_csv", "read_idx",
    "read_npz", "read_png_folder", "write_csv", "write_idx", "write_npz",
    "write_png_folder",
]
