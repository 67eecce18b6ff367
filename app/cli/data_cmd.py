"""`python main.py data ...` (filled in by its issue)."""


def register(sub) -> None:
    pass
