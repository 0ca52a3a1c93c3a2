# The photo store: frame files on the flash filesystem.
#
#   /photos/<id>.frm    a complete, checked photo (id = start of its SHA-256)
#   /photos/<id>.part   an upload in progress; never shown, resumable
#   /photos/order       slideshow order, one id per line
#
# A photo becomes visible only by os.rename() of a checked .part file, which
# littlefs does atomically, so a power cut or a cut cable can never leave a
# half-written photo in the slideshow.
import os

import proto

ROOT = "/photos"
ORDER = "order"
MAX_PHOTOS = 200  # keeps the order file and directory scans small
RESERVE = 8192  # flash kept free for settings and littlefs metadata


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


class Store:
    max_photos = MAX_PHOTOS

    def __init__(self, root=ROOT):
        self.root = root
        if not _exists(root):
            os.mkdir(root)
        self._order = None

    # -- paths (only ever built from checked ids) --------------------------

    def path(self, photo_id):
        if not proto.valid_id(photo_id):
            raise ValueError("bad photo id")
        if isinstance(photo_id, bytes):
            photo_id = photo_id.decode()
        return "%s/%s.frm" % (self.root, photo_id)

    def part_path(self, photo_id):
        return self.path(photo_id)[:-4] + ".part"

    # -- the slideshow order ----------------------------------------------

    def ids(self):
        """Photo ids in slideshow order (the order file, reconciled with disk)."""
        if self._order is None:
            on_disk = []
            for name in os.listdir(self.root):
                if name.endswith(".frm") and proto.valid_id(name[:-4]):
                    on_disk.append(name[:-4])
            order = []
            try:
                with open(self.root + "/" + ORDER) as f:
                    for line in f:
                        line = line.strip()
                        if line in on_disk and line not in order:
                            order.append(line)
            except OSError:
                pass
            for name in sorted(on_disk):
                if name not in order:
                    order.append(name)
            self._order = order
        return self._order

    def _save_order(self):
        tmp = self.root + "/" + ORDER + ".tmp"
        with open(tmp, "w") as f:
            for photo_id in self._order:
                f.write(photo_id + "\n")
        os.rename(tmp, self.root + "/" + ORDER)

    def reorder(self, new_order):
        """Put the given ids first, in that order; the rest keep theirs."""
        ids = self.ids()
        for photo_id in new_order:
            if photo_id not in ids:
                raise KeyError(photo_id)
        rest = [i for i in ids if i not in new_order]
        self._order = list(new_order) + rest
        self._save_order()

    def __len__(self):
        return len(self.ids())

    def __contains__(self, photo_id):
        return photo_id in self.ids()

    def size(self, photo_id):
        return os.stat(self.path(photo_id))[6]

    # -- space --------------------------------------------------------------

    def free(self):
        """Bytes an upload may still use."""
        st = os.statvfs(self.root)
        return max(0, st[0] * st[4] - RESERVE)

    def part_size(self, photo_id):
        try:
            return os.stat(self.part_path(photo_id))[6]
        except OSError:
            return 0

    # -- changes ------------------------------------------------------------

    def remove(self, photo_id):
        ids = self.ids()
        if photo_id not in ids:
            raise KeyError(photo_id)
        os.remove(self.path(photo_id))
        ids.remove(photo_id)
        self._save_order()

    def drop_part(self, photo_id):
        try:
            os.remove(self.part_path(photo_id))
        except OSError:
            pass

    def commit(self, photo_id):
        """Make a checked .part file a visible photo at the end of the order."""
        os.rename(self.part_path(photo_id), self.path(photo_id))
        name = photo_id if isinstance(photo_id, str) else photo_id.decode()
        ids = self.ids()
        if name not in ids:
            ids.append(name)
        self._save_order()

    def clean_parts(self, keep=None):
        """Remove stale partial uploads (all but `keep`)."""
        for name in os.listdir(self.root):
            if name.endswith(".part") and name[:-5] != keep:
                os.remove(self.root + "/" + name)
