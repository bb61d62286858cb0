"""Content-addressed storage for datasets, models and metadata.

Contracts hold CIDs; the bytes live in a :class:`ContentStore`:

* :class:`LocalStore` keeps blocks in a folder (no daemon) and computes the
  same CIDs as kubo's ``ipfs add --cid-version=1``;
* :class:`KuboStore` talks to any node speaking kubo's HTTP RPC API.

CAR files move content between the two, or to any IPFS node.

Example:
    >>> import tempfile
    >>> from mlmarket.storage import LocalStore, gateway_url
    >>> store = LocalStore(tempfile.mkdtemp())
    >>> cid = store.add(b"hello world")
    >>> gateway_url(cid)
    'https://ipfs.io/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'

This package never imports :mod:`mlmarket.chain` or web3.
"""

from mlmarket.storage.base import ContentStore, ContentWriter
from mlmarket.storage.cid import CID, format_cid, gateway_url, parse_cid
from mlmarket.storage.kubo import KuboStore
from mlmarket.storage.local import LocalStore, compute_cid
from mlmarket.storage.unixfs import ImportParams

__all__ = [
    "CID",
    "ContentStore",
    "ContentWriter",
    "ImportParams",
    "KuboStore",
    "LocalStore",
    "compute_cid",
    "format_cid",
    "gateway_url",
    "parse_cid",
]
