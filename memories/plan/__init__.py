"""Decide which memories to make, from which photos: pure functions, no I/O."""
