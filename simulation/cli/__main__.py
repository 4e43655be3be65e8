"""``python -m simulation.cli``: the ``ecodistrict`` command line."""

import sys

from simulation.cli.main import main

sys.exit(main())
