"""Polyphony: a desktop studio for training music GANs.

    python main.py                      the window
    python main.py --self-test          open the window, run a smoke job, exit
    python main.py data|train|jobs|render|compose ...   headless work
"""

import multiprocessing
import sys

if __name__ == "__main__":
    # First thing, so the frozen (PyInstaller) app behaves like `python main.py`
    # when a library starts worker processes.
    multiprocessing.freeze_support()
    from app.cli import main

    sys.exit(main(sys.argv[1:]))
