"""`python -m kinspect` and the PyInstaller entry point: the same CLI as the `kinspect` script."""

import multiprocessing
import sys

from kinspect.cli import main

if __name__ == "__main__":
    # In the built app this executable is also what multiprocessing starts for confined
    # children (kinspect.safety.confine): freeze_support lets such a start run the child's job
    # instead of the CLI. A no-op outside a frozen app.
    multiprocessing.freeze_support()
    sys.exit(main())
