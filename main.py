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
    from app.logging_setup import install_exception_logging, setup_logging

    try:
        setup_logging()  # rotating log in the user data directory, for bug reports
    except OSError as exc:  # an unwritable data directory is reported by the command itself
        print(f"polyphony: no log file ({exc})", file=sys.stderr)
    install_exception_logging()
    from app.launcher import main

    sys.exit(main(sys.argv[1:]))
