"""Domain services: the market, its token and (later) data market and competitions."""

from mlmarket.market.addressbook import AddressBook, Deployment
from mlmarket.market.market import Market

__all__ = ["AddressBook", "Deployment", "Market"]
