import os
import sys

# Must be set before torch (and its OpenMP runtime) is imported: passive waiting avoids 3-9x slowdowns when the
# CPU is shared. An explicit value in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .cli import main  # noqa: E402

sys.exit(main())
