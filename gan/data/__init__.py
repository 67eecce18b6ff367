"""Music as data: the piano-roll format, MIDI in and out, the tagged corpus
(built-in genres, genres built from music21, the user's imports)."""
