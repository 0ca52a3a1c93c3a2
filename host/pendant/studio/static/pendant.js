// The pendant's side: status, the photos on it in slideshow order (drag to
// reorder, show now, remove), settings that take effect at once, firmware.
import { api, imageUrl } from './api.js';

const $ = (id) => document.getElementById(id);
let lastList = '';
let refresh = () => {};

export function init(refreshNow) {
  refresh = refreshNow;
  $('settings').addEventListener('change', async (ev) => {
    const input = ev.target;
    $('settings-error').textContent = '';
    // Firefox lets letters into a number field (Chromium refuses them), and
    // either can be emptied: value is then '' and Number('') is 0, which would
    // silently mean "never" for the timers. Nothing is sent; the next poll puts
    // the pendant's own value back.
    if (input.type === 'number' && (input.value === '' || !input.validity.valid)) {
      const label = input.closest('label').firstChild.textContent.trim();
      const range = input.max ? `from ${input.min} to ${input.max}` : `of ${input.min} or more`;
      $('settings-error').textContent = `${label}: enter a whole number ${range}`;
      refresh();
      return;
    }
    const value = input.name === 'transition' ? input.value : Number(input.value);
    try {
      await api('POST', '/api/pendant/settings', { [input.name]: value });
    } catch (e) {
      $('settings-error').textContent = e.message;
    }
    refresh();
  });
  $('sim-cable').addEventListener('click', async (ev) => {
    const plugged = ev.target.dataset.plugged !== 'true';
    await act('/api/sim/cable', { plugged });
  });
  $('install').addEventListener('click', async () => {
    $('pendant-error').textContent = '';
    try {
      await api('POST', '/api/pendant/install');
    } catch (e) {
      $('pendant-error').textContent = e.message;
    }
    refresh();
  });
}

async function act(path, body) {
  $('pendant-error').textContent = '';
  try {
    await api('POST', path, body);
  } catch (e) {
    $('pendant-error').textContent = e.message;
  }
  lastList = '';
  refresh();
}

function kib(n) {
  return n >= 1024 * 1024 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

export function update(state) {
  const p = state.pendant;
  const info = p.info || {};
  $('status').dataset.connected = String(p.connected);
  $('conn').textContent = p.connected
    ? `${info.board || 'pendant'} on ${p.port}` : p.message;
  const bat = info.battery;
  $('battery').textContent = p.connected
    ? (bat ? `battery ${bat.percent}%${bat.charging ? ' (charging)' : ''}` : 'battery not measured') : '';
  $('storage').textContent = p.connected && info.free != null
    ? `${info.photos} photos, ${kib(info.free)} free` : '';
  const avail = state.firmware;
  const fw = info.fw;
  $('firmware').textContent = p.connected ? `firmware ${fw}` + (avail && fw !== avail ? ` (${avail} available)` : '') : '';
  const busy = p.job && ['running', 'waiting'].includes(p.job.state);
  $('install').hidden = !p.installable;
  $('install').disabled = !!busy;
  $('install').textContent = !p.connected ? 'Install the pendant firmware'
    : avail && fw !== avail ? `Update firmware to ${avail}` : 'Reinstall firmware';
  for (const el of $('settings').elements) {
    el.disabled = !p.connected;
    if (el.name && document.activeElement !== el && p.settings[el.name] !== undefined) {
      el.value = String(p.settings[el.name]);
    }
  }
  showList(p);
  if (state.sim) {
    $('sim').hidden = false;
    const cable = $('sim-cable');
    cable.dataset.plugged = String(state.sim.plugged);
    cable.textContent = state.sim.plugged ? 'unplug the cable' : 'plug the cable in';
    const img = $('sim-screen');
    if (img.dataset.version !== String(state.sim.version)) {
      img.dataset.version = String(state.sim.version);
      img.src = imageUrl('/api/sim/screen.png', state.sim.version);
    }
  }
}

function showList(p) {
  const key = JSON.stringify([p.connected, p.photos]);
  if (key === lastList) return;
  lastList = key;
  const ol = $('on-pendant');
  ol.replaceChildren();
  $('none-on-pendant').hidden = !(p.connected && p.photos.length === 0);
  if (!p.connected) return;
  p.photos.forEach((ph, i) => {
    const li = document.createElement('li');
    li.draggable = true;
    li.dataset.id = ph.id;
    let pic;
    if (ph.known) {
      pic = document.createElement('img');
      pic.src = imageUrl(`/api/thumbs/${ph.id}.png`, 0);
      pic.alt = '';
    } else {
      pic = document.createElement('span');
      pic.className = 'unknown';
      pic.textContent = 'unknown';
      pic.title = 'uploaded from elsewhere: no picture of it here';
    }
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = `${i + 1}. ${ph.name || ph.id}`;
    const small = document.createElement('small');
    small.textContent = `${ph.id} · ${kib(ph.size)}`;
    label.append(small);
    const btn = (text, title, fn) => {
      const b = document.createElement('button');
      b.textContent = text;
      b.title = title;
      b.addEventListener('click', fn);
      return b;
    };
    const ids = p.photos.map((x) => x.id);
    const moveTo = (j) => {
      const order = ids.filter((x) => x !== ph.id);
      order.splice(j, 0, ph.id);
      act('/api/pendant/order', { ids: order });
    };
    li.append(pic, label,
      btn('▲', 'earlier in the slideshow', () => moveTo(Math.max(0, i - 1))),
      btn('show', 'show it on the pendant now', () => act('/api/pendant/show', { id: ph.id })),
      btn('✕', 'remove it from the pendant', () => act('/api/pendant/remove', { id: ph.id })));
    li.querySelector('button[title^="remove"]').classList.add('remove');
    li.querySelector('button[title^="show"]').classList.add('show');
    li.addEventListener('dragstart', (ev) => {
      ev.dataTransfer.setData('text/plain', ph.id);
      li.classList.add('dragging');
    });
    li.addEventListener('dragend', () => li.classList.remove('dragging'));
    li.addEventListener('dragover', (ev) => { ev.preventDefault(); li.classList.add('over'); });
    li.addEventListener('dragleave', () => li.classList.remove('over'));
    li.addEventListener('drop', (ev) => {
      ev.preventDefault();
      li.classList.remove('over');
      const moving = ev.dataTransfer.getData('text/plain');
      if (!moving || moving === ph.id) return;
      const order = ids.filter((x) => x !== moving);
      order.splice(order.indexOf(ph.id) + (ids.indexOf(moving) < i ? 1 : 0), 0, moving);
      act('/api/pendant/order', { ids: order });
    });
    ol.append(li);
  });
}
