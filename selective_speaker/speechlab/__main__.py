"""`python -m selective_speaker.speechlab eval|calibrate|bench ...`: see cli.py."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
