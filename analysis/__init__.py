"""Reading simulation outputs back for analysis (notebooks, comparisons)."""

from analysis.run_folder import RunFolder, load_run

__all__ = ["RunFolder", "load_run"]
