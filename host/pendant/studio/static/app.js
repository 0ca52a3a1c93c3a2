// Pendant studio: wires the page together and keeps it in step with the server.
import { api } from './api.js';
import * as cards from './cards.js';
import * as pendant from './pendant.js';

const $ = (id) => document.getElementById(id);
let state = null;
let timer = null;

async function poll() {
  clearTimeout(timer);
  try {
    state = await api('GET', '/api/state');
    pendant.update(state);
    cards.update(state);
    showUpload();
  } catch (e) {
    $('conn').textContent = e.message;
    $('status').dataset.connected = 'false';
  }
  const busy = state && state.pendant.job && state.pendant.job.state === 'running';
  timer = setTimeout(poll, busy || (state && state.sim) ? 400 : 1000);
}

function kib(n) {
  return n >= 1024 * 1024 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} KB`;
}

// Before anything is sent: how many of the new photos fit, and how many more would.
function toSend() {
  return cards.all().filter((c) => c.state === 'ready' && !c.on_pendant);
}

function showUpload() {
  if (!state) return;
  const n = toSend().length;
  const fit = state.fit;
  const p = state.pendant;
  const job = p.job;
  const running = job && ['running', 'waiting'].includes(job.state);
  $('upload').disabled = !p.connected || n === 0 || running;
  $('upload').textContent = n ? `Send ${n} photo${n > 1 ? 's' : ''} to the pendant` : 'Send to the pendant';
  let text = '';
  if (!p.connected) {
    text = 'connect a pendant to send photos';
  } else if (fit.count !== n) {
    text = 'checking the room on the pendant…';
  } else if (fit.free != null) {
    if (n === 0) {
      text = `room for about ${fit.more} more photos`;
    } else if (fit.fits >= n) {
      text = `all ${n} fit; room for about ${fit.more} more after them`;
    } else {
      text = `only ${fit.fits} of ${n} fit (${kib(fit.free)} free): remove photos from the pendant first`;
    }
  }
  $('fit').textContent = text;
  $('job').hidden = !job;
  if (job) {
    $('job-progress').value = job.total ? job.done / job.total : 0;
    const label = job.kind === 'install' ? (job.log.at(-1) || 'installing…') : `${kib(job.done)} of ${kib(job.total)}`;
    $('job-text').textContent = job.message || label;
    $('job').dataset.state = job.state;
  }
}

async function upload() {
  $('upload').disabled = true;
  try {
    await api('POST', '/api/upload', { cards: toSend().map((c) => c.id) });
  } catch (e) {
    $('fit').textContent = e.message;
  }
  poll();
}

// Dropped folders arrive as directory entries: walk them for files.
async function filesFromDrop(dt) {
  const entries = [...dt.items].map((it) => it.webkitGetAsEntry && it.webkitGetAsEntry()).filter(Boolean);
  if (!entries.length || entries.every((e) => e.isFile)) return { files: [...dt.files], folder: false };
  const files = [];
  const walk = async (entry) => {
    if (entry.isFile) {
      files.push(await new Promise((ok, bad) => entry.file(ok, bad)));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, bad) => reader.readEntries(ok, bad));
        if (!batch.length) break;
        for (const e of batch) await walk(e);
      }
    }
  };
  for (const e of entries) await walk(e);
  return { files, folder: true };
}

function wireDrop() {
  const zone = document.body;
  const drop = $('drop');
  zone.addEventListener('dragover', (ev) => {
    if ([...ev.dataTransfer.types].includes('Files')) {
      ev.preventDefault();
      drop.classList.add('over');
    }
  });
  zone.addEventListener('dragleave', () => drop.classList.remove('over'));
  zone.addEventListener('drop', async (ev) => {
    if (![...ev.dataTransfer.types].includes('Files')) return;
    ev.preventDefault();
    drop.classList.remove('over');
    const { files, folder } = await filesFromDrop(ev.dataTransfer);
    cards.addFiles(files, folder);
  });
  $('pick-files').addEventListener('change', (ev) => { cards.addFiles(ev.target.files); ev.target.value = ''; });
  $('pick-folder').addEventListener('change', (ev) => { cards.addFiles(ev.target.files, true); ev.target.value = ''; });
}

cards.init(showUpload);
pendant.init(poll);
wireDrop();
$('upload').addEventListener('click', upload);
poll();
