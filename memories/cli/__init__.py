"""The command line: thin Typer commands, one core call each, errors turned into exit codes.

This is the only package that knows Typer and Rich.
"""

from memories.cli.app import app, main

__all__ = ["app", "main"]
