# The wire protocol between `pendant` on the host and the pendant's firmware.
#
# One definition, valid MicroPython and CPython, used by both ends and pinned
# by golden vectors in the tests. docs/protocol.md explains it in prose.
#
# The link is the USB serial port that is also the MicroPython REPL. A
# session starts with the fixed bytes OPEN (which contain no 0x03, so a
# pendant whose Ctrl-C is still armed is not interrupted by them); from then
# on every message in both directions is a packet:
#
#   0  u8  SYNC0 0xA5     1  u8  SYNC1 0x5A
#   2  u8  type           3  u8  sequence number (a reply echoes its request's)
#   4  u16 payload length (little-endian, at most MAX_PAYLOAD)
#   6  ...  payload
#   n  u32 CRC-32 of bytes 2..n-1 (little-endian)
#
# Control payloads (info, lists, settings, errors) are compact JSON; the bulk
# path (DATA/ACK) is binary.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


import struct
from binascii import crc32, hexlify

# 2: HELLO carries the host's session nonce, echoed in the reply's "nonce";
#    SHOW answers before drawing; a FILLER is skipped FILL_READ bytes a read.
VERSION = const(2)
OPEN = b"PENDANT/LINK\n"
SYNC0 = const(0xA5)
SYNC1 = const(0x5A)
HEAD_SIZE = const(6)
CRC_SIZE = const(4)
MAX_PAYLOAD = const(4100)  # a request's: a 4 KiB data chunk plus its offset
# A reply's: LIST of the store's most photos (200, ~31 bytes each as JSON)
# passes MAX_PAYLOAD; the host reads replies up to this long.
MAX_REPLY = const(16384)
CHUNK = const(4096)  # data bytes per DATA packet
WINDOW = const(4)  # DATA packets the host may have unacknowledged
# Reading the USB stdin blocks until the read is full, so the pendant reads a
# packet in pieces that end at multiples of PIECE bytes from its SYNC0, each
# after a poll with a timeout. A host writes each packet in one write(), which
# USB carries in 64-byte packets from its start: a cable pulled mid-packet
# then leaves the pendant between pieces, where it times out, never stuck in
# a read. Anything else that stops mid-piece is ended by the next host, which
# sends FILLER_LEN zero bytes (no SYNC0, no Ctrl-C; enough to complete the
# longest packet) before it reopens after trouble.
PIECE = const(64)
FILLER_LEN = const(HEAD_SIZE + MAX_PAYLOAD + CRC_SIZE)
# A FILLER is always followed by OPEN, so after any 0x00 met while hunting at
# least len(OPEN) more bytes are on their way: the pendant skips the zeros
# that many at a time (one poll and one read per 13 bytes, where a poll and a
# read per byte cost the chip ~0.4 ms a byte) without reading past OPEN.
FILL_READ = const(13)

# Requests (host -> pendant).
HELLO = const(0x01)  # payload: u8 host protocol version, u32 nonce -> OK {info, "nonce"}
LIST = const(0x02)  # -> OK [[id, size], ...] in slideshow order
REMOVE = const(0x03)  # payload: id -> OK
PUT = const(0x04)  # payload: id, u32 size, u32 crc -> OK {"offset": n} | OK {"have": 1}
DATA = const(0x05)  # payload: u32 offset, bytes -> ACK u32 next offset
COMMIT = const(0x06)  # payload: id -> OK (file checked and in the store)
ORDER = const(0x07)  # payload: JSON [id, ...] -> OK
SHOW = const(0x08)  # payload: id -> OK (drawn as soon as the session ends)
GET_SETTINGS = const(0x09)  # -> OK {settings}
SET_SETTINGS = const(0x0A)  # payload: JSON {name: value} -> OK {settings}
BYE = const(0x0B)  # -> OK; the session ends, Ctrl-C is re-armed

# Replies (pendant -> host).
OK = const(0x80)
ERR = const(0x81)  # payload: u8 code, UTF-8 message
ACK = const(0x82)  # payload: u32 bytes of the upload now safely written

# Error codes.
E_BAD_PACKET = const(1)  # CRC or framing
E_UNKNOWN = const(2)  # unknown message type
E_BAD_ARG = const(3)  # malformed payload, invalid id or name
E_NO_SPACE = const(4)  # payload JSON {"need": bytes, "free": bytes}
E_NOT_FOUND = const(5)
E_BAD_DATA = const(6)  # upload out of order or failed its check
E_STORE_FULL = const(7)  # too many photos
E_INTERNAL = const(8)

# A photo id: 16 lowercase hex digits (the start of the frame's SHA-256). The
# pendant accepts nothing else as a name, so no path can be smuggled in.
ID_LEN = const(16)
_HEX = b"0123456789abcdef"


def photo_id(digest):
    """A photo's id from the SHA-256 digest of its frame file: the one
    definition the pendant (COMMIT's check), the host and the tests share."""
    return hexlify(digest).decode()[:ID_LEN]


def valid_id(name):
    """True for exactly ID_LEN lowercase hex characters (bytes or str)."""
    if isinstance(name, str):
        name = name.encode()
    if len(name) != ID_LEN:
        return False
    for c in name:
        if c not in _HEX:
            return False
    return True


def packet(kind, seq, payload=b""):
    """Encode one packet (the host's encoder; the pendant writes in place)."""
    n = len(payload)
    if n > MAX_PAYLOAD:
        raise ValueError("payload too long")
    head = struct.pack("<BBBBH", SYNC0, SYNC1, kind, seq & 0xFF, n)
    crc = crc32(payload, crc32(head[2:]))
    return head + bytes(payload) + struct.pack("<I", crc)


def check(head, payload, crc_bytes):
    """True when the CRC of (head[2:6] + payload) matches crc_bytes."""
    crc = crc32(payload, crc32(memoryview(head)[2:HEAD_SIZE]))
    return struct.unpack("<I", crc_bytes)[0] == crc


def hello(seq, nonce):
    """The HELLO packet that opens a session, or None if it holds a 0x03.

    Until the pendant has read OPEN its USB stack still turns 0x03 into
    Ctrl-C as the bytes arrive, so the packet that follows OPEN must carry
    none (CRC included): the host draws nonces until this returns a packet,
    and sends nothing more until its reply. The nonce (u32) comes back in the
    reply, so a reply left over from an earlier session can never be taken
    for this one's."""
    pkt = packet(HELLO, seq, struct.pack("<BI", VERSION, nonce))
    return None if 0x03 in pkt else pkt


def hello_nonce(payload):
    """The nonce of a HELLO payload (0 from a host that sent none)."""
    if len(payload) < 5:
        return 0
    return payload[1] | payload[2] << 8 | payload[3] << 16 | payload[4] << 24


def put_payload(photo_id, size, crc):
    return photo_id.encode() + struct.pack("<II", size, crc)


def parse_put(payload):
    """(id bytes, size, crc) from a PUT payload, or None if malformed."""
    if len(payload) != ID_LEN + 8 or not valid_id(bytes(payload[:ID_LEN])):
        return None
    size, crc = struct.unpack_from("<II", payload, ID_LEN)
    return bytes(payload[:ID_LEN]), size, crc


def error_payload(code, message):
    return bytes((code,)) + message.encode()
