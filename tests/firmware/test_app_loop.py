"""The app's slideshow and link glue on CPython: what decides which photo the
wearer sees when a host interrupts a transition (firmware/app.py)."""

import sys
import types

import pytest


@pytest.fixture
def app_mod(monkeypatch):
    # app.py imports the rp2's machine and the DMA glue at the top; neither
    # is used by the logic under test.
    machine = types.ModuleType("machine")
    monkeypatch.setitem(sys.modules, "machine", machine)
    import app

    return app


class Store:
    def __init__(self, ids):
        self._ids = list(ids)

    def ids(self):
        return list(self._ids)

    def __contains__(self, pid):
        return pid in self._ids

    def path(self, pid):
        return "/photos/%s.frm" % pid


class Painter:
    def __init__(self):
        self.painted = []

    def show(self, path, stop=None):
        if stop is not None and stop():
            return False
        self.painted.append(path)
        return True


class Transitions:
    """Stops when its stop() says a host is talking, like transition.py."""

    def __init__(self, painter):
        self.painter = painter
        self.calls = []
        self.kept = None

    def show(self, kind, new, old, stop=None):
        self.calls.append((kind, new, old))
        if stop is not None and stop():
            return False
        self.painter.painted.append(new)
        return True

    def keep(self, path, stop=None):
        """Which photo the fade's RAM would hold: the last kept, unless a
        host's talk (stop) cut the keeping short."""
        self.calls.append(("keep", path, None))
        self.kept = None if stop is not None and stop() else path
        return self.kept is not None


class Port:
    def __init__(self):
        self.waiting = False

    def wait(self, ms):
        return self.waiting


class Link:
    def __init__(self, port, session=False):
        self.port = port
        self.session = session
        self.app = None

    def poll(self):
        self.port.waiting = False
        if self.session:
            self.app.session_ended()
        return self.session


def make(app_mod, ids, session):
    a = app_mod.App.__new__(app_mod.App)
    a.settings = {"transition": "fade", "interval_s": 15}
    a.store = Store(ids)
    a.painter = Painter()
    a.transitions = Transitions(a.painter)
    a.link = Link(Port(), session)
    a.link.app = a
    a._host_waiting = a.host_waiting
    a.current = None
    a.pending = None
    a.next_at = 0
    a._progress_step = -1
    a.overlay = types.SimpleNamespace(shown=False, clear=lambda: None)
    return a


@pytest.mark.parametrize("session", [True, False])
def test_interrupted_transition_ends_on_the_new_photo(app_mod, session, clock):
    a = make(app_mod, ["aaaa", "bbbb"], session)
    a.show("aaaa")  # first photo: a plain paint
    assert a.painter.painted == ["/photos/aaaa.frm"]
    a.link.port.waiting = True  # a host starts talking during the fade
    a.show("bbbb")
    assert a.transitions.calls[-1][0] == "fade"
    assert a.painter.painted == ["/photos/aaaa.frm"]  # stopped part-way
    assert a.current == "bbbb" and a.pending == "bbbb"
    a.serve_link()  # a session (or only noise) is served first...
    # ...then the photo is painted whole, with no second transition.
    assert a.painter.painted == ["/photos/aaaa.frm", "/photos/bbbb.frm"]
    assert a.pending is None
    assert [c[0] for c in a.transitions.calls if c[0] != "keep"] == ["fade"]


def test_transition_uninterrupted_leaves_nothing_pending(app_mod, clock):
    a = make(app_mod, ["aaaa", "bbbb"], False)
    a.show("aaaa")
    a.show("bbbb")
    assert a.painter.painted[-1] == "/photos/bbbb.frm" and a.pending is None


def test_show_request_is_drawn_when_the_session_ends(app_mod, clock):
    a = make(app_mod, ["aaaa", "bbbb"], True)
    a.show("aaaa")
    a.show_later("bbbb")
    assert a.painter.painted == ["/photos/aaaa.frm"]  # not while the host waits
    a.session_ended()
    assert a.painter.painted[-1] == "/photos/bbbb.frm" and a.current == "bbbb"


def test_slideshow_steps_in_order_and_wraps(app_mod, clock):
    a = make(app_mod, ["aaaa", "bbbb", "cccc"], False)
    seen = []
    for _ in range(4):
        a.next()
        seen.append(a.current)
    assert seen == ["aaaa", "bbbb", "cccc", "aaaa"]


def test_plain_paint_interrupted_is_finished_after(app_mod, clock):
    a = make(app_mod, ["aaaa"], False)
    a.link.port.waiting = True
    a.show("aaaa")
    assert a.painter.painted == [] and a.pending == "aaaa"
    a.serve_link()
    assert a.painter.painted == ["/photos/aaaa.frm"] and a.pending is None


@pytest.mark.parametrize("transition,kept", [("fade", "/photos/bbbb.frm"), ("none", None),
                                             ("wipe", None)])
def test_a_session_ends_with_the_shown_photo_kept_for_fades(app_mod, clock, transition, kept):
    """An upload may hold its photo in the fade's RAM: when the session ends
    the photo on the glass goes back there, only where fades are on."""
    a = make(app_mod, ["aaaa", "bbbb"], True)
    a.settings["transition"] = transition
    a.show("aaaa")
    a.show_later("bbbb")
    a.session_ended()
    assert a.current == "bbbb" and a.transitions.kept == kept
    assert a.transitions.calls[-1][0] == ("keep" if kept else transition)


def test_nothing_is_kept_when_no_photo_is_shown(app_mod, clock):
    a = make(app_mod, [], True)
    filled = []
    a.painter.clear = filled.append
    a.session_ended()  # the last photo went: the screen is cleared
    assert filled == [0x0000]
    assert a.current is None and a.transitions.kept is None
    assert a.transitions.calls == []
