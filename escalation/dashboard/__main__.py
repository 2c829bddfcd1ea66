"""``python -m escalation.dashboard``: serve the dashboard."""

import sys

from escalation.dashboard import main

sys.exit(main())
