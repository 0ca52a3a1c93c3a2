// The photo cards: one per photo dropped or picked, showing exactly what the
// pendant will show (the server renders it with `pendant preview`'s pipeline),
// with framing by hand: drag to move the subject, zoom, turn, shape.
import { api, imageUrl } from './api.js';

const PANEL_PX = 240;
const IMAGE_EXT = /\.(jpe?g|png|gif|webp|tiff?|bmp|heic|heif|avif)$/i;
const cards = new Map(); // card id -> {el, data, seq}
const container = () => document.getElementById('cards');
let onChange = () => {};

export function init(changed) {
  onChange = changed;
}

export function all() {
  return [...cards.values()].map((c) => c.data);
}

// files: File objects; fromFolder: skip what is plainly not a photo (a folder
// holds other things), while a file picked or dropped by itself always gets a
// card, with a message if it is not a photo.
export async function addFiles(files, fromFolder = false) {
  const list = [...files].filter((f) => !fromFolder || IMAGE_EXT.test(f.name));
  await Promise.all(list.map((f) => addOne(f)));
}

async function addOne(file) {
  const el = makeCard(file.name);
  el.dataset.state = 'converting';
  el.querySelector('.msg').textContent = 'converting…';
  el.querySelector('.spinner').hidden = false;
  try {
    const data = await api('POST', '/api/photos', file, {
      'X-Filename': encodeURIComponent(file.name),
      'Content-Type': 'application/octet-stream',
    });
    el.dataset.card = data.id;
    cards.set(data.id, { el, data, seq: 0, pending: null, busy: false });
    show(data.id);
  } catch (e) {
    el.dataset.state = 'error';
    el.querySelector('.msg').textContent = e.message;
    el.querySelector('.spinner').hidden = true;
  }
  onChange();
}

function makeCard(name) {
  const el = document.getElementById('card-template').content.firstElementChild.cloneNode(true);
  el.querySelector('.name').textContent = name;
  el.querySelector('.name').title = name;
  container().append(el);
  wire(el);
  return el;
}

function show(id) {
  const c = cards.get(id);
  const { el, data } = c;
  el.dataset.state = data.state;
  el.dataset.panel = data.panel || '';
  const img = el.querySelector('.preview');
  el.querySelector('.spinner').hidden = data.state !== 'converting';
  if (data.state === 'ready' || data.state === 'draft') {
    img.src = imageUrl(`/api/photos/${id}/preview.png`, data.version);
    img.style.transform = c.drag ? offset(c) : '';
    el.querySelector('.msg').textContent = (data.exact ? `${(data.bytes / 1024).toFixed(1)} KiB` : 'framing…')
      + (data.framing.focus ? ', framed by hand' : '');
  } else if (data.state === 'error') {
    img.removeAttribute('src');
    el.querySelector('.msg').textContent = data.error;
  }
  const f = data.framing;
  el.querySelector('.mask').value = f.mask;
  el.querySelector('.zoom').value = f.focus ? f.zoom : (data.shown.zoom || f.zoom);
  el.querySelector('.rotate').value = ((f.rotate + 180) % 360) - 180;
}

// The framing the controls stand for; moving from auto to by-hand starts from
// what auto-framing chose, so nothing jumps.
function current(c) {
  const f = c.data.framing;
  const s = c.data.shown || {};
  return {
    focus: f.focus || s.focus || [0.5, 0.5],
    zoom: f.focus ? f.zoom : (s.zoom || f.zoom),
    rotate: f.rotate,
    mask: f.mask,
  };
}

// Latest wins: one render in flight per card, the newest framing queued.
// draft: a quick render while the hand is still moving; the exact one follows.
async function setFraming(id, framing, draft = false) {
  const c = cards.get(id);
  c.pending = framing;
  c.pendingDraft = draft;
  if (c.busy) return;
  c.busy = true;
  c.el.querySelector('.spinner').hidden = false;
  try {
    while (c.pending) {
      const f = c.pending;
      const q = c.pendingDraft ? '?draft=1' : '';
      c.pending = null;
      const data = await api('PUT', `/api/photos/${id}/framing${q}`, f);
      if (!c.pending) {
        c.data = data;
        c.rendered = f;
        show(id);
      }
    }
  } catch (e) {
    c.el.querySelector('.msg').textContent = e.message;
  } finally {
    c.busy = false;
    c.el.querySelector('.spinner').hidden = true;
    onChange();
  }
}

function wire(el) {
  const id = () => el.dataset.card;
  const img = el.querySelector('.preview');
  const frame = el.querySelector('.frame');
  let drag = null;
  let wheelDone = null;
  frame.addEventListener('pointerdown', (ev) => {
    const c = cards.get(id());
    if (!c || !['ready', 'draft'].includes(c.data.state)) return;
    frame.setPointerCapture(ev.pointerId);
    drag = { x: ev.clientX, y: ev.clientY, start: current(c), c, dx: 0, dy: 0,
      deltas: new WeakMap() };
    c.drag = drag;
    ev.preventDefault();
  });
  frame.addEventListener('pointermove', (ev) => {
    if (!drag) return;
    const scale = PANEL_PX / frame.clientWidth;
    drag.scale = scale;
    drag.dx = (ev.clientX - drag.x) * scale;
    drag.dy = (ev.clientY - drag.y) * scale;
    drag.framing = moved(drag, drag.dx, drag.dy);
    drag.deltas.set(drag.framing, [drag.dx, drag.dy]);
    img.style.transform = offset(drag.c);
    setFraming(id(), drag.framing, true);
  });
  const end = () => {
    if (drag && drag.framing) setFraming(id(), drag.framing);
    if (drag) drag.c.drag = null;
    drag = null;
  };
  frame.addEventListener('pointerup', end);
  frame.addEventListener('pointercancel', end);
  frame.addEventListener('wheel', (ev) => {
    const c = cards.get(id());
    if (!c || !['ready', 'draft'].includes(c.data.state)) return;
    ev.preventDefault();
    const f = current(c);
    f.zoom = Math.min(4, Math.max(0.5, f.zoom * (ev.deltaY < 0 ? 1.1 : 1 / 1.1)));
    c.data.framing = { ...f };
    setFraming(id(), f, true);
    clearTimeout(wheelDone);
    wheelDone = setTimeout(() => setFraming(id(), current(cards.get(id()))), 300);
  }, { passive: false });
  el.querySelector('.zoom').addEventListener('input', (ev) => {
    const c = cards.get(id());
    setFraming(id(), { ...current(c), zoom: Number(ev.target.value) }, true);
  });
  el.querySelector('.zoom').addEventListener('change', (ev) => {
    const c = cards.get(id());
    setFraming(id(), { ...current(c), zoom: Number(ev.target.value) });
  });
  el.querySelector('.rotate').addEventListener('change', (ev) => {
    const c = cards.get(id());
    // Auto-framing stays auto (it finds the subject again in the turned photo).
    const f = c.data.framing.focus ? current(c) : c.data.framing;
    setFraming(id(), { ...f, rotate: (Number(ev.target.value) + 360) % 360 });
  });
  el.querySelector('.mask').addEventListener('change', (ev) => {
    const c = cards.get(id());
    const f = c.data.framing;
    setFraming(id(), { ...f, mask: ev.target.value });
  });
  el.querySelector('.auto').addEventListener('click', () => {
    const c = cards.get(id());
    setFraming(id(), { focus: null, zoom: 1, rotate: 0, mask: c.data.framing.mask });
  });
  el.querySelector('.discard').addEventListener('click', async () => {
    if (id()) {
      await api('DELETE', `/api/photos/${id()}`).catch(() => {});
      cards.delete(id());
    }
    el.remove();
    onChange();
  });
}

// While dragging, the picture shown is moved by what the hand moved since the
// framing it was rendered with, so a quick render never doubles the motion.
function offset(c) {
  const d = c.drag;
  const [rx, ry] = (c.rendered && d.deltas.get(c.rendered)) || [0, 0];
  const k = d.scale || 1;
  return `translate(${(d.dx - rx) / k}px, ${(d.dy - ry) / k}px)`;
}

// Dragging the picture right by dx panel pixels moves the point shown at the
// heart's centre left, by what one panel pixel covers of the photo.
function moved(drag, dx, dy) {
  const s = drag.c.data.shown;
  const [px, py] = s.per_px || [1 / PANEL_PX, 1 / PANEL_PX];
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return {
    ...drag.start,
    focus: [clamp(drag.start.focus[0] - dx * px), clamp(drag.start.focus[1] - dy * py)],
  };
}

// From the server's state: which cards are on the pendant, progress of an upload,
// and a new render when the pendant turned out to have another panel.
export function update(state) {
  const byCard = new Map();
  if (state.pendant.job && state.pendant.job.kind === 'upload') {
    for (const it of state.pendant.job.items) byCard.set(it.card, it);
  }
  for (const cd of state.cards) {
    const c = cards.get(cd.id);
    if (!c) continue;
    c.el.dataset.onPendant = String(cd.on_pendant);
    c.data.on_pendant = cd.on_pendant;
    const item = byCard.get(cd.id);
    const bar = c.el.querySelector('.sent');
    bar.hidden = !item;
    if (item) {
      bar.value = item.state === 'done' || item.state === 'skipped' ? 1 : item.done / item.size;
      bar.dataset.state = item.state;
      if (item.error) c.el.querySelector('.msg').textContent = item.error;
    }
    if (cd.state === 'ready' && cd.panel !== state.panel && !c.busy) {
      setFraming(cd.id, cd.framing);
    }
  }
}
