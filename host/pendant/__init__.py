"""Host tools for the heart pendant: photo pipeline, link client, simulator, CLI."""

__version__ = "0.1.0"
