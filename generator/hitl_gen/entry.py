"""The console script's entry point, kept tiny: `hitl-gen --version` answers without
importing the CLI; every other command loads it."""

import sys


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        from hitl_gen import __version__

        print(f"hitl-gen {__version__}")
        sys.exit(0)
    import gc

    # One command per process: the cyclic collector stays off to the end (a build turns
    # it off while it runs anyway, see build._no_cycle_collection; turning it back on
    # would cost one last pass over everything the build still holds).
    gc.disable()
    from hitl_gen.cli import main

    sys.exit(main())
