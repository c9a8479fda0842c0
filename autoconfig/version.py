"""The running version, in a module of its own so that any layer may name it without importing the app."""

__version__ = "1.0.0"
