"""What the user sees: contact sheets, collages, videos, restyles, the gallery."""
