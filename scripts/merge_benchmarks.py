"""Gather docs/bench/*.md into docs/BENCHMARKS.md.

Each benchmark script writes its own fragment in docs/bench/; the summary
table against the goals is docs/bench/summary.md. Run after re-measuring:
    python scripts/merge_benchmarks.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "docs" / "bench"
SECTIONS = [("Data", "data.md"), ("GAN library", "gan.md"),
            ("GPU", "gpu.md"), ("Job store", "jobs.md"),
            ("GUI", "gui.md"), ("Audio", "audio.md"), ("Compose", "compose.md"),
            ("Packaging", "package.md"), ("Fresh machine", "fresh.md"),
            ("Distributed", "distributed.md"), ("Faults", "faults.md")]


def demoted(text: str, top: int = 3) -> str:
    """Shift the fragment's headings so its highest one is level ``top``."""
    lines = text.strip().splitlines()
    levels = [len(m.group(1)) for line in lines if (m := re.match(r"^(#+) ", line))]
    shift = top - min(levels) if levels else 0
    return "\n".join("#" * shift + line if re.match(r"^#+ ", line) else line for line in lines)


def main() -> None:
    parts = [(BENCH / "summary.md").read_text(encoding="utf-8")]
    for title, name in SECTIONS:
        path = BENCH / name
        if path.exists():
            parts.append(f"## {title}\n\n_From `docs/bench/{name}`._\n\n"
                         + demoted(path.read_text(encoding="utf-8")) + "\n")
    (ROOT / "docs" / "BENCHMARKS.md").write_text("\n".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
