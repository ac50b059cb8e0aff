"""memories: turn a folder of personal photos into memories, entirely on this machine."""

__version__ = "0.1.0"
