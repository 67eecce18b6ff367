"""Small helpers every layer uses: atomic file writes, NaN <-> None."""
