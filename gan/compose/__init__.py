"""Using a trained model: read a melody, accompany it or write new pieces,
and write the result as MIDI."""
