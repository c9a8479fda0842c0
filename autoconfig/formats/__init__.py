"""Pure renderers: Settings in, bytes out. No Flask, no I/O."""
