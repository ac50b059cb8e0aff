"""Find photos and videos on disk and read what their files say about them."""
