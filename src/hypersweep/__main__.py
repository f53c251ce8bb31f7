"""``python -m hypersweep``: the same as the ``hypersweep`` command."""

from hypersweep.cli import main

if __name__ == "__main__":
    main()
