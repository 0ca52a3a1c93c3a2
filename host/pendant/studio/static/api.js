// Talking to the studio's server: every request carries this run's token.
export const token = document.querySelector('meta[name="studio-token"]').content;

export class ApiError extends Error {}

export async function api(method, path, body, headers = {}) {
  const opts = { method, headers: { 'X-Studio-Token': token, ...headers } };
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    opts.body = body;
  } else if (body !== undefined) {
    opts.body = JSON.stringify(body);
    opts.headers['Content-Type'] = 'application/json';
  }
  let resp;
  try {
    resp = await fetch(path, opts);
  } catch (e) {
    throw new ApiError('the studio is not running (restart `pendant studio`)');
  }
  const text = await resp.text();
  let data;
  try { data = JSON.parse(text); } catch { data = { error: text.trim() }; }
  if (!resp.ok) throw new ApiError(data.error || `HTTP ${resp.status}`);
  return data;
}

// Images cannot send headers: their URLs carry the token instead.
export function imageUrl(path, version) {
  return `${path}?t=${encodeURIComponent(token)}&v=${version}`;
}
