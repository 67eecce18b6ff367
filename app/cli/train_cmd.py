"""`python main.py train ...` (filled in by its issue)."""


def register(sub) -> None:
    pass
