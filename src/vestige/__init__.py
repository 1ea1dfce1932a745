"""Vestige: investigating mass graves and war crimes; accounting for the dead and the missing."""

__version__ = "0.1.0"
