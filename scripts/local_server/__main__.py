"""`python -m scripts.local_server`: serve the Product API locally (see api.py)."""

import sys

from scripts.local_server.api import main

sys.exit(main())
