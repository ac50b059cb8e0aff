"""Allow `python -m memories`."""

from memories.cli import main

main()
