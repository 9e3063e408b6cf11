"""`python -m integration_tests.demo`: run the demo."""

import sys

from integration_tests.demo.cli import main

sys.exit(main())
