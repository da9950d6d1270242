"""`python -m kinspect` and the PyInstaller entry point: the same CLI as the `kinspect` script."""

import sys

from kinspect.cli import main

if __name__ == "__main__":
    sys.exit(main())
