"""The one exception the photo pipeline lets out."""


class PhotoError(ValueError):
    """A photo (or an option) that cannot be rendered; str() is one line for the user.

    A ValueError so callers that already treat bad values as user errors keep
    working; render() turns every failure into this type.
    """
