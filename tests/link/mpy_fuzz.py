# The link's receiver on the real micropython (heap capped like an RP2040):
# rounds of random and mutated messages; no crash, no write outside the store,
# and the heap after gc.collect() stays level. argv: tmpdir rounds messages seed
import gc
import random
import sys

import link
from fuzzgen import App, Port, check_tree, fuzz_round
from settings import Settings
from store import Store

root, rounds, messages, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
random.seed(seed)
store = Store(root + "/photos")
port = Port()
lk = link.Link(port, store, App(Settings(root + "/settings.json")))
free = []
landed = 0
for _ in range(rounds):
    fuzz_round(lk, port, random, messages)
    port.data = b""
    port.pos = 0
    check_tree(root, root + "/photos")
    # Empty the store between rounds: photos that landed legitimately grow the
    # order list, which is data, not a leak; what must stay level is the rest.
    for photo_id in list(store.ids()):
        store.remove(photo_id)
        landed += 1
    gc.collect()
    free.append(gc.mem_free())
# Skip the first rounds (first imports, first buffers).
settled = free[rounds // 4 :]
print("mem_free min", min(settled), "max", max(settled), "first", free[0])
assert max(settled) - min(settled) < 4096, free
assert landed, "some fuzzed uploads were valid and must have landed"
print("fuzz ok", rounds * messages, "messages", landed, "photos", port.replies, "replies")
