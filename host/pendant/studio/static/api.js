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
  // A request on a kept-alive connection the server has just closed fails
  // without reaching it: try again before calling the studio gone.
  for (let attempt = 0; ; attempt++) {
    try {
      resp = await fetch(path, opts);
      break;
    } catch (e) {
      if (attempt >= 2) throw new ApiError('the studio is not running (restart `pendant studio`)');
      await new Promise((ok) => setTimeout(ok, 200 * (attempt + 1)));
    }
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
