"""`python main.py jobs ...` (filled in by its issue)."""


def register(sub) -> None:
    pass
