"""Experiments over many runs: their files, designs, one runner (local processes or Dask) and the sweep folder."""
