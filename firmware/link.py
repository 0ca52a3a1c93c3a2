# The pendant's end of the upload link (protocol in proto.py, docs/protocol.md).
#
# Outside a session the app owns the port only loosely: it watches for the
# OPEN bytes and treats Ctrl-C as the REPL does, so mpremote can always break
# in. Inside a session Ctrl-C is disarmed (photo bytes may contain 0x03) and
# every message is a checked packet.
import binascii
import gc
import hashlib
import json
import struct
import time

import frame
import micropython
import proto
import ramfile
from micropython import const

# Requests that open, write or rename files, and collect the heap first (see
# serve). Not PUT and COMMIT: a collect costs ~25 ms of chip time on the
# RP2040 (measured on the emulated chip, 2026-12-03), twice per photo, and the
# session's start has just collected (App.serve_link); MicroPython collects
# by itself when an allocation fails, and ramfile.hold checks what is free.
COLLECT_KINDS = (proto.REMOVE, proto.ORDER, proto.SET_SETTINGS)
IDLE_MS = const(10_000)  # a session with no good packet for this long ends
BYTE_MS = const(1_000)  # a started packet must keep coming within this
READ_PIECE = proto.PIECE  # see proto.PIECE: why reads come in pieces
MAX_FRAME = 240 * 240 * 2 + frame.HEADER_SIZE + 240 * frame.SPAN_SIZE
CTRL_C = const(0x03)
# A photo up to RAM_MAX bytes is received into RAM, verified, painted, then
# written to flash in one go (ramfile.py): flash writes (375 ms of chip time
# for a 28.5 KB photo, on the emulated chip) then no longer stand between
# Enter and the glass. RAM_SPARE is
# the heap it must leave for everything else; larger photos, a resumed .part
# and a heap too full or fragmented stream to flash as they arrive.
RAM_MAX = const(48 * 1024)
RAM_SPARE = const(24 * 1024)


def _piece_views(buf, pos):
    """{offset: view of buf from offset} for every offset in buf where a piece
    read can start: the payload always starts at the packet's byte HEAD_SIZE,
    so its piece starts are fixed; a 4-byte CRC may be split anywhere."""
    mv = memoryview(buf)
    if pos is None:
        starts = range(1, len(buf))
    else:
        starts = range(proto.PIECE - pos % proto.PIECE, len(buf), proto.PIECE)
    views = {}
    for off in starts:
        views[off] = mv[off:]
    return views


class Session:
    """State of one upload in progress: into RAM (ram, file is a RamFile) or
    appended to its .part file."""

    def __init__(self, photo_id, size, crc, f, offset, ram=False):
        self.id = photo_id
        self.size = size
        self.crc = crc
        self.file = f
        self.offset = offset
        self.ram = ram


class Link:
    """Serves the protocol on `port`: an object with readinto(buf, n),
    write(buf) and wait(ms) -> bool (see usbport.py; tests pass a fake)."""

    def __init__(self, port, store, app):
        self.port = port
        self.store = store
        self.app = app
        self.one = bytearray(1)
        self.fill = bytearray(proto.FILL_READ)  # see skip_filler
        self.fill_end = 0
        self.head = bytearray(proto.HEAD_SIZE)
        self.head[0] = proto.SYNC0
        self.head[1] = proto.SYNC1
        self.payload = bytearray(proto.MAX_PAYLOAD)
        self.crc = bytearray(proto.CRC_SIZE)
        self.out = bytearray(proto.HEAD_SIZE)
        self.out_crc = bytearray(proto.CRC_SIZE)
        self.ack = bytearray(4)
        # Views where a piece read may start inside a buffer (see _read),
        # made once so that receiving allocates nothing per piece.
        self.payload_views = _piece_views(self.payload, proto.HEAD_SIZE)
        self.crc_views = _piece_views(self.crc, None)
        self.match = 0
        self.upload = None
        self.handlers = {
            proto.HELLO: self.on_hello,
            proto.LIST: self.on_list,
            proto.REMOVE: self.on_remove,
            proto.PUT: self.on_put,
            proto.DATA: self.on_data,
            proto.COMMIT: self.on_commit,
            proto.ORDER: self.on_order,
            proto.SHOW: self.on_show,
            proto.GET_SETTINGS: self.on_get_settings,
            proto.SET_SETTINGS: self.on_set_settings,
        }

    # -- outside a session --------------------------------------------------

    def poll(self):
        """Consume waiting bytes; run a session if they open one.

        Returns True if a session ran. Raises KeyboardInterrupt on Ctrl-C, as
        the REPL would, so that mpremote can take over the board.
        """
        while self.port.wait(0):
            self.port.readinto(self.one, 1)
            b = self.one[0]
            if b == 0:  # a FILLER: skip it in bulk, then match what follows it
                self.match = 0
                fill = self.fill
                for i in range(self.skip_filler(), self.fill_end):
                    if self.match_open(fill[i]):
                        return True
            elif self.match_open(b):
                return True
        return False

    def match_open(self, b):
        """Feed one byte to the OPEN matcher; True if it completed a session."""
        opener = proto.OPEN
        if b == CTRL_C:
            self.match = 0
            raise KeyboardInterrupt
        if b == opener[self.match]:
            self.match += 1
            if self.match == len(opener):
                self.match = 0
                self.serve()
                return True
        else:
            self.match = 1 if b == opener[0] else 0
        return False

    def skip_filler(self):
        """After a 0x00: read on, FILL_READ bytes at a time, until the zeros
        end. Every FILLER is followed by OPEN (proto.FILL_READ), so each read
        is complete without reading beyond OPEN. Returns the index in
        self.fill of the first byte after the zeros; self.fill_end is the end
        of what was read (a port that returns short reads is allowed)."""
        fill = self.fill
        n = len(fill)
        self.fill_end = 0
        while self.port.wait(BYTE_MS):
            got = self.port.readinto(fill, n) or 0
            self.fill_end = got
            for i in range(got):
                if fill[i]:
                    return i
        return self.fill_end

    def serve(self):
        """One session: packets until BYE, silence or a lost link."""
        micropython.kbd_intr(-1)
        try:
            while True:
                got = self.recv(IDLE_MS)
                if got is None:
                    break
                kind, seq, n = got
                if kind == proto.BYE:
                    self.reply(proto.OK, seq)
                    break
                handler = self.handlers.get(kind)
                if handler is None:
                    self.error(seq, proto.E_UNKNOWN, "unknown message type %d" % kind)
                    continue
                if kind in COLLECT_KINDS:
                    # Opening a littlefs file takes a 4 KB buffer: collect so
                    # a session's small garbage cannot fragment it away.
                    gc.collect()
                try:
                    handler(seq, memoryview(self.payload)[:n])
                except Exception as e:  # a bad request must never end the app
                    self.error(seq, proto.E_INTERNAL, "%s: %s" % (type(e).__name__, e))
        finally:
            self.end_upload()
            micropython.kbd_intr(CTRL_C)
            self.app.session_ended()

    # -- packets -------------------------------------------------------------

    def _read(self, buf, n, timeout, pos=0, views=None):
        """Fill buf[:n] with bytes pos.. of a packet; False if the link goes
        quiet for `timeout` ms first. Each readinto() ends at a multiple of
        READ_PIECE from the packet's start (see proto.PIECE); views are buf's
        precomputed piece views (_piece_views), so a read allocates nothing."""
        port = self.port
        if pos % READ_PIECE + n <= READ_PIECE:  # one piece
            return port.wait(timeout) and port.readinto(buf, n) == n
        got = 0
        while got < n:
            k = READ_PIECE - (pos + got) % READ_PIECE
            if k > n - got:
                k = n - got
            if not port.wait(timeout) or port.readinto(views[got] if got else buf, k) != k:
                return False
            got += k
        return True

    def recv(self, timeout):
        """Next good packet as (type, seq, length), or None when no good
        packet came for `timeout` ms (noise does not keep a session alive)."""
        one = self.one
        head = self.head
        deadline = time.ticks_add(time.ticks_ms(), timeout)
        while True:
            left = time.ticks_diff(deadline, time.ticks_ms())
            # Hunt for SYNC0 SYNC1; anything else is noise from a broken packet.
            if left <= 0 or not self._read(one, 1, left):
                return None
            if one[0] != proto.SYNC0:
                if one[0] == 0:
                    # A FILLER inside a session (a host retrying): what follows
                    # its zeros is OPEN, noise here, so the rest of the read goes.
                    self.skip_filler()
                continue
            if not self._read(one, 1, BYTE_MS):
                continue
            if one[0] != proto.SYNC1:
                continue
            if not self._read(self.crc, 4, BYTE_MS, 2):
                continue
            head[2:6] = self.crc
            kind = head[2]
            seq = head[3]
            n = head[4] | (head[5] << 8)
            if n > proto.MAX_PAYLOAD:
                self.error(seq, proto.E_BAD_PACKET, "packet too long")
                continue
            if n and not self._read(self.payload, n, BYTE_MS, proto.HEAD_SIZE,
                                    self.payload_views):
                self.error(seq, proto.E_BAD_PACKET, "packet cut short")
                continue
            if not self._read(self.crc, 4, BYTE_MS, proto.HEAD_SIZE + n, self.crc_views):
                self.error(seq, proto.E_BAD_PACKET, "packet cut short")
                continue
            if not proto.check(head, memoryview(self.payload)[:n], self.crc):
                self.error(seq, proto.E_BAD_PACKET, "bad CRC")
                continue
            return kind, seq, n

    def reply(self, kind, seq, payload=b""):
        n = len(payload)
        out = self.out
        out[0] = proto.SYNC0
        out[1] = proto.SYNC1
        out[2] = kind
        out[3] = seq
        out[4] = n & 0xFF
        out[5] = n >> 8
        crc = binascii.crc32(payload, binascii.crc32(memoryview(out)[2:]))
        self.port.write(out)
        if n:
            self.port.write(payload)
        struct.pack_into("<I", self.out_crc, 0, crc)
        self.port.write(self.out_crc)

    def reply_json(self, seq, value):
        self.reply(proto.OK, seq, json.dumps(value).encode())

    def error(self, seq, code, message, detail=None):
        if detail is not None:
            message = json.dumps(detail)
        self.reply(proto.ERR, seq, proto.error_payload(code, message))

    # -- requests ------------------------------------------------------------

    def on_hello(self, seq, payload):
        info = self.app.info()
        info["nonce"] = proto.hello_nonce(payload)
        self.reply_json(seq, info)

    def on_list(self, seq, payload):
        store = self.store
        self.reply_json(seq, [[i, store.size(i)] for i in store.ids()])

    def _id(self, seq, payload):
        photo_id = bytes(payload)
        if not proto.valid_id(photo_id):
            self.error(seq, proto.E_BAD_ARG, "invalid photo id")
            return None
        return photo_id.decode()

    def _stored_id(self, seq, payload):
        """The id of a photo in the store, or None after replying why not."""
        photo_id = self._id(seq, payload)
        if photo_id is not None and photo_id not in self.store:
            self.error(seq, proto.E_NOT_FOUND, "no photo " + photo_id)
            return None
        return photo_id

    def on_remove(self, seq, payload):
        photo_id = self._stored_id(seq, payload)
        if photo_id is None:
            return
        self.store.remove(photo_id)
        self.app.photos_changed()
        self.reply(proto.OK, seq)

    def on_put(self, seq, payload):
        req = proto.parse_put(payload)
        if req is None:
            self.error(seq, proto.E_BAD_ARG, "malformed PUT")
            return
        photo_id, size, crc = req
        photo_id = photo_id.decode()
        up = self.upload
        if up is not None and up.ram and (up.id, up.size, up.crc) == (photo_id, size, crc):
            # The host going back after a lost packet: RAM holds what came.
            self.reply_json(seq, {"offset": up.offset})
            return
        self.end_upload()  # a RAM upload left part-way goes to its .part (resumable)
        store = self.store
        if photo_id in store:
            self.reply_json(seq, {"have": 1})
            return
        if not frame.HEADER_SIZE < size <= MAX_FRAME:
            self.error(seq, proto.E_BAD_ARG, "photo size %d out of range" % size)
            return
        if len(store) >= store.max_photos:
            self.error(seq, proto.E_STORE_FULL,
                       "the pendant holds its maximum of %d photos" % store.max_photos)
            return
        store.clean_parts(keep=photo_id)
        offset = store.part_size(photo_id)
        if offset > size:
            store.drop_part(photo_id)
            offset = 0
        need = size - offset
        free = store.free()
        if need > free:
            self.error(seq, proto.E_NO_SPACE, "", {"need": need, "free": free})
            return
        ram = self.ram_for(size) if offset == 0 else None
        if ram is not None:
            self.upload = Session(photo_id, size, crc, ram, 0, True)
        else:
            f = open(store.part_path(photo_id), "ab")
            self.upload = Session(photo_id, size, crc, f, offset)
        self.reply_json(seq, {"offset": offset})

    def ram_for(self, size):
        """A RamFile for a photo of `size` bytes: in a buffer the app lends
        (the fade's, 60 or 62 KB, idle during a session), else a new one where the
        heap can spare it; None sends the photo to flash as it arrives."""
        if size > RAM_MAX:
            return None
        lent = self.app.lend_ram(size)
        if lent is not None:
            return ramfile.RamFile(size, lent)
        return ramfile.hold(size, RAM_SPARE)

    def on_data(self, seq, payload):
        up = self.upload
        if up is None or len(payload) < 4:
            self.error(seq, proto.E_BAD_DATA, "no upload in progress")
            return
        offset = payload[0] | (payload[1] << 8) | (payload[2] << 16) | (payload[3] << 24)
        n = len(payload) - 4
        if offset != up.offset or up.offset + n > up.size:
            self.error(seq, proto.E_BAD_DATA, "", {"offset": up.offset})
            return
        try:
            if up.ram:  # durable at COMMIT; until then an ACK says "received"
                up.file.put(self.payload, 4, n)
            else:
                up.file.write(payload[4:])
                up.file.flush()  # ACK promises the bytes survive a reset
        except OSError as e:
            # Flash full or failing: give the space back rather than keep a
            # .part that can never complete.
            self.end_upload(keep=False)
            self.store.drop_part(up.id)
            self.error(seq, proto.E_NO_SPACE, "cannot write the photo (%s)" % e)
            return
        up.offset += n
        struct.pack_into("<I", self.ack, 0, up.offset)
        self.reply(proto.ACK, seq, self.ack)
        self.app.upload_progress(up.offset, up.size)

    def on_commit(self, seq, payload):
        photo_id = self._id(seq, payload)
        up = self.upload
        if photo_id is None:
            return
        if up is None or up.id != photo_id:
            self.error(seq, proto.E_BAD_DATA, "no upload of " + photo_id)
            return
        self.end_upload(keep=False)
        problem = self.verify(up)
        if problem:
            self.store.drop_part(photo_id)
            self.error(seq, proto.E_BAD_DATA, problem)
            return
        if up.ram:
            # On the glass first, then into flash: the reply still waits for
            # the rename, so OK means stored, as for a photo streamed to flash.
            self.app.arrived(photo_id, up.file)
            problem = self.write_part(up)
            if problem:
                self.app.photos_changed()
                self.error(seq, proto.E_NO_SPACE, problem)
                return
        self.store.commit(photo_id)
        self.app.photos_changed(None if up.ram else photo_id)
        self.reply(proto.OK, seq)

    def write_part(self, up):
        """A RAM upload's bytes (all that came) to its .part file; a problem
        or None. The .part is dropped if the flash fails."""
        path = self.store.part_path(up.id)
        try:
            with open(path, "wb") as f:
                f.write(memoryview(up.file.data)[: up.offset])
        except OSError as e:
            self.store.drop_part(up.id)
            return "cannot write the photo (%s)" % e
        return None

    def verify(self, up):
        """Check a finished upload, in RAM or its .part file; return a
        problem or None."""
        h = hashlib.sha256()
        crc = 0
        size = 0
        buf = self.payload
        if up.ram:
            up.file.seek(0)
        with up.file if up.ram else open(self.store.part_path(up.id), "rb") as f:
            n = f.readinto(buf)
            if n < frame.HEADER_SIZE:
                return "too short for a frame"
            try:
                hdr = frame.parse_header(buf)
            except ValueError as e:
                return str(e)
            while n:
                view = memoryview(buf)[:n]
                h.update(view)
                crc = binascii.crc32(view, crc)
                size += n
                n = f.readinto(buf)
        if size != up.size or frame.file_size(hdr) != size:
            return "size mismatch: %d of %d bytes" % (size, up.size)
        if crc != up.crc:
            return "CRC mismatch"
        if proto.photo_id(h.digest()) != up.id:
            return "content does not match its id"
        if not self.app.can_show(hdr):
            return "frame does not fit this panel"
        return None

    def end_upload(self, keep=True):
        """Close the upload in progress. keep: a part-received RAM upload goes
        to its .part file, so the host's next try resumes rather than restarts
        (at a session's end, or when a PUT for another photo comes first)."""
        up = self.upload
        if up is None:
            return
        self.upload = None
        up.file.close()
        if up.ram and keep and up.offset:
            self.write_part(up)

    def on_order(self, seq, payload):
        try:
            ids = json.loads(bytes(payload))
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(
                isinstance(i, str) and proto.valid_id(i) for i in ids):
            self.error(seq, proto.E_BAD_ARG, "order must be a list of photo ids")
            return
        for i in range(len(ids)):
            if ids[i] in ids[i + 1 :]:  # a photo twice would show twice per round
                self.error(seq, proto.E_BAD_ARG, "photo %s is listed twice" % ids[i])
                return
        try:
            self.store.reorder(ids)
        except KeyError as e:
            self.error(seq, proto.E_NOT_FOUND, "no photo %s" % e.args[0])
            return
        self.app.photos_changed()
        self.reply(proto.OK, seq)

    def on_show(self, seq, payload):
        photo_id = self._stored_id(seq, payload)
        if photo_id is None:
            return
        # Answer first: drawing (a fade above all) would keep the host waiting
        # with the link deaf; the app draws it as the session ends.
        self.reply(proto.OK, seq)
        self.app.show_later(photo_id)

    def on_get_settings(self, seq, payload):
        self.reply_json(seq, self.app.settings.values)

    def on_set_settings(self, seq, payload):
        try:
            changes = json.loads(bytes(payload))
            if not isinstance(changes, dict):
                raise ValueError("settings must be a JSON object")
            self.app.settings.update(changes)
        except ValueError as e:
            self.error(seq, proto.E_BAD_ARG, str(e))
            return
        self.app.settings_changed()
        self.reply_json(seq, self.app.settings.values)
