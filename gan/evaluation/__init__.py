"""Judging generated music against real music: per-voice metrics and the
similarity index."""
