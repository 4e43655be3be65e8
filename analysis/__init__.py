"""Reading simulation outputs back for analysis (notebooks, comparisons).

``from analysis import load_run, load_sweep`` works as usual; the readers are imported on first
use (PEP 562), so that a command line needing only a submodule (``ecodistrict --help`` reads
:mod:`analysis.i18n`) does not pay for pandas and the model.
"""

from importlib import import_module

_HOME = {"RunFolder": "analysis.run_folder", "load_run": "analysis.run_folder",
         "load_failures": "analysis.sweep_results", "load_sweep": "analysis.sweep_results"}

__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
