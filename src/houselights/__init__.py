"""houselights — an open box office data exchange for arts organisations."""

__version__ = "0.1.0"

__all__ = ["__version__"]
