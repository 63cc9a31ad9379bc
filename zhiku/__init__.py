"""知库 Zhiku: cross-cutting pieces — settings, errors, shared data types and the CLI."""

__version__ = "0.1.0"
