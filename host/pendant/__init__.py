"""Host tools for the heart pendant: photo pipeline, link client, simulator, CLI."""

# Defined once, in the firmware (the pendant reports it over the link): the
# tool and the firmware it installs are released together.
from pendant.firmware.version import VERSION as __version__

__all__ = ["__version__"]
