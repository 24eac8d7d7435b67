import sys

from stairwatch.cli import main

sys.exit(main())
