"""`python main.py compose ...` (filled in by its issue)."""


def register(sub) -> None:
    pass
