"""ecodistrict: an agent-based simulation of an eco-industrial district (Formigine Smart Eco District)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecodistrict")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
