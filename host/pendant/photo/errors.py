"""The one exception the photo pipeline lets out, and the one-line warning
for an optional extra that is installed but broken."""

import os
import sys


class PhotoError(ValueError):
    """A photo (or an option) that cannot be rendered; str() is one line for the user.

    A ValueError so callers that already treat bad values as user errors keep
    working; render() turns every failure into this type.
    """


# Extras already reported, kept in the environment too so that the batch
# pool's worker processes (forked or spawned) do not say it again.
_SAID_ENV = "PENDANT_EXTRAS_REPORTED"


def extra_broken(extra: str, error: BaseException, without: str) -> None:
    """Say once, in one line on stderr, that an installed optional extra does
    not work and what the pipeline does without it (it carries on)."""
    said = os.environ.get(_SAID_ENV, "").split(",")
    if extra in said:
        return
    os.environ[_SAID_ENV] = ",".join([*filter(None, said), extra])
    detail = str(error).strip().splitlines()
    why = f"{type(error).__name__}: {detail[0]}" if detail else type(error).__name__
    print(f"warning: the '{extra}' extra is installed but does not work ({why}); {without}",
          file=sys.stderr, flush=True)


def not_installed(error: ImportError, *packages: str) -> bool:
    """True if importing failed only because one of `packages` is absent
    (the extra is not installed: nothing to say), not because it is broken."""
    return isinstance(error, ModuleNotFoundError) and error.name in packages
