"""``python -m sitecircle.cli``: the same as the ``sitecircle`` command."""

import sys

from sitecircle.cli.main import main

sys.exit(main())
