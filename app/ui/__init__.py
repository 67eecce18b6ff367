"""Windows and widgets (Qt). No training and no SQL in here."""
