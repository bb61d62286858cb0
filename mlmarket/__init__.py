"""mlmarket: a blockchain machine-learning marketplace to explore in Jupyter."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlmarket")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
