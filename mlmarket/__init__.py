"""mlmarket: a blockchain machine-learning marketplace to explore in Jupyter.

Example:
    >>> import mlmarket as mm
    >>> market = mm.Market.local()
    >>> market.balances()                           # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from mlmarket import errors
from mlmarket.chain import Chain, connect, load
from mlmarket.market import AddressBook, Deployment, Market
from mlmarket.units import from_units, to_units

try:
    __version__ = version("mlmarket")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = [
    "AddressBook",
    "Chain",
    "Deployment",
    "Market",
    "__version__",
    "connect",
    "errors",
    "from_units",
    "load",
    "to_units",
]
