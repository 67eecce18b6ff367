"""The layering of docs/ARCHITECTURE.md holds: faces -> services -> library.

The rules are import-linter contracts in pyproject.toml ([tool.importlinter]):
gan imports no app and no Qt; the services and the command line import no
Qt; the window and the command line never import each other; the window
imports gan only for settings and constants; music21 only where the corpus
is built. ``lint-imports`` reads every import statically (also those inside
functions); the second test imports every gan module for real with Qt and
app made unimportable, which also catches an import a string builds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ("PySide6", "pyqtgraph", "app", "shiboken6", "PyQt5", "PyQt6")


def test_import_contracts_are_kept():
    # The console script's own entry point, run with this interpreter so the
    # check does not depend on PATH.
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    report = result.stdout + result.stderr
    assert result.returncode == 0, f"lint-imports found broken contracts:\n{report}"
    assert "0 broken" in report and "kept" in report.lower(), report


def test_import_gan_works_with_qt_absent(tmp_path):
    """Import every gan module in a child where PySide6/pyqtgraph/app cannot
    be imported at all."""
    blocker = tmp_path / "sitecustomize_block.py"
    blocker.write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {BLOCKED!r}:\n"
        "            raise ImportError('blocked for the layering test: ' + name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Block())\n"
    )
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "gan").rglob("*.py")
    )
    code = (
        f"exec(open({str(blocker)!r}).read())\n"
        "import importlib\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "import sys\n"
        "assert not any(k.split('.')[0] in ('PySide6', 'pyqtgraph', 'app') for k in sys.modules)\n"
        "print('ok', len(" + repr(modules) + "))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
