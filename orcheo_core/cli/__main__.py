import sys

from orcheo_core.cli import main

sys.exit(main())
