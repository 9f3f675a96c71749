"""`python3 tools/imgbuild/imgbuild ARGS`: the CLI, from a checkout."""
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from imgbuild.cli import main
else:
    from .cli import main

sys.exit(main())
