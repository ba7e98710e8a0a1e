import sys

from blitz.cli import main

sys.exit(main())
