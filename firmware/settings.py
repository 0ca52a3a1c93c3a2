# Settings the owner can change from the host, kept in /settings.json.
#
# Every setting is a row of SPEC: its default and allowed range, so the host
# can never store a value the firmware would trip over.
import json
import os

PATH = "/settings.json"

# name: (default, minimum, maximum); None as a range means "a string".
SPEC = {
    "board": ("", None, None),  # "" = boards.DEFAULT
    "rotation": (-1, -1, 270),  # -1 = the board's own; else 0/90/180/270
    "interval_s": (15, 2, 86400),  # slideshow: seconds per photo
    "brightness": (70, 5, 100),  # backlight percent while showing
    "dim_after_s": (30, 0, 86400),  # 0 = never dim
    "sleep_after_s": (40, 0, 86400),  # screen off after; 0 = never (10 s dimmed: see power.md)
    "dim_percent": (10, 1, 100),  # backlight while dimmed (PWM: the CPU stays up)
    "deep_after_s": (0, 0, 86400),  # panel asleep -> dormant after; 0 = at once
    "transition": ("wipe", None, None),
}
ROTATIONS = (-1, 0, 90, 180, 270)
TRANSITIONS = ("none", "wipe", "fade")


def check(name, value):
    """Return value if it is valid for setting `name`, else raise ValueError."""
    if name not in SPEC:
        raise ValueError("unknown setting %r" % name)
    default, lo, hi = SPEC[name]
    if lo is None:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError("%s must be a short string" % name)
        if name == "transition" and value not in TRANSITIONS:
            raise ValueError("transition must be one of %s" % ", ".join(TRANSITIONS))
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("%s must be a whole number" % name)
    if not lo <= value <= hi:
        raise ValueError("%s must be between %d and %d" % (name, lo, hi))
    if name == "rotation" and value not in ROTATIONS:
        raise ValueError("rotation must be -1, 0, 90, 180 or 270")
    return value


class Settings:
    def __init__(self, path=PATH):
        self.path = path
        self.values = {}
        for name in SPEC:
            self.values[name] = SPEC[name][0]
        try:
            with open(path) as f:
                stored = json.load(f)
        except (OSError, ValueError):
            stored = {}
        if isinstance(stored, dict):
            for name in stored:
                try:
                    self.values[name] = check(name, stored[name])
                except ValueError:
                    pass  # an old or hand-edited bad value: keep the default

    def __getitem__(self, name):
        return self.values[name]

    def update(self, changes):
        """Check every change first, then apply and save them all, or none."""
        checked = {}
        for name in changes:
            checked[name] = check(name, changes[name])
        board = checked.get("board")
        if board:
            # Imported here: the host imports this module as pendant.firmware.settings.
            import boards
        if board and board not in boards.BOARDS:
            # A board the firmware cannot drive would stop it at the next boot.
            # (A bad board already on flash is kept, so boot can say so.)
            raise ValueError("unknown board %r; known boards: %s" % (
                board, ", ".join(sorted(boards.BOARDS))))
        self.values.update(checked)
        self.save()

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.values, f)
        os.rename(tmp, self.path)
