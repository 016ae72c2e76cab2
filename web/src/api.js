// The JSON API of `tarmac serve` (docs/dashboard.md). Every call returns the
// parsed answer or throws an Error carrying the server's message.

export async function api(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const url = '/api/' + path + (qs.toString() ? '?' + qs : '');
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    throw new Error(`${url}: HTTP ${res.status}, not JSON`);
  }
  if (!res.ok) throw new Error(body && body.error ? body.error : `${url}: HTTP ${res.status}`);
  return body;
}
