"""The console script's entry point, kept tiny: `hitl-gen --version` answers without
importing the CLI; every other command loads it."""

import sys


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        from hitl_gen import __version__

        print(f"hitl-gen {__version__}")
        sys.exit(0)
    from hitl_gen.cli import main

    sys.exit(main())
