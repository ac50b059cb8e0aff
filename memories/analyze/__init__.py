"""What photos show and where they were taken: quality, places (and later faces)."""
