"""`python -m selective_speaker.speech prepare-models|transcribe ...`: see cli.py.

Measurement moved to `python -m selective_speaker.speechlab eval|calibrate|bench`.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
