"""Reading simulation outputs back for analysis (notebooks, comparisons)."""

from analysis.run_folder import RunFolder, load_run
from analysis.sweep_results import load_failures, load_sweep

__all__ = ["RunFolder", "load_failures", "load_run", "load_sweep"]
