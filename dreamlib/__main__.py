"""``python -m dreamlib`` runs the command line."""

import sys

from dreamlib.cli import main

sys.exit(main())
