// Small DOM and formatting helpers shared by the pages. Text always goes in
// through textContent (never innerHTML), so nothing from the database can
// inject markup.

// el('div.card#x', {attrs, on: {click}}, children...)
export function el(spec, props = {}, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const node = document.createElement((m && m[1]) || 'div');
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') node.classList.add(part.slice(1));
      else node.id = part.slice(1);
    }
  }
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    } else if (k === 'text') {
      node.textContent = String(v);
    } else if (k === 'dataset') {
      Object.assign(node.dataset, v);
    } else if (k === 'style' && typeof v === 'object') {
      Object.assign(node.style, v);
    } else if (k in node && typeof v !== 'string') {
      node[k] = v;
    } else {
      node.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function num(v, digits = 3) {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(digits);
}

export function signed(v, digits = 3) {
  if (v === null || v === undefined) return '–';
  const s = Number(v).toFixed(digits);
  return v > 0 ? '+' + s : s;
}

// "2025-03-01T12:00:00Z" -> "2025-03-01 12:00"
export function when(iso) {
  if (!iso) return '–';
  return iso.replace('T', ' ').replace(/:\d\dZ$/, '').replace(/Z$/, '');
}

export function short(sha, n = 10) {
  return sha ? sha.slice(0, n) : '–';
}

export function badge(state) {
  const labels = { live: 'live', finished: 'finished', unfinished: 'unfinished' };
  return el(`span.badge.${state}`, { text: labels[state] || state, title: state === 'unfinished'
    ? 'not finished: interrupted, or still running without new results lately' : '' });
}

// Query string of a hash route: "#/compare?base=1&cand=2" -> {base: "1", cand: "2"}.
export function hashParams() {
  const h = location.hash;
  const q = h.indexOf('?');
  return Object.fromEntries(new URLSearchParams(q >= 0 ? h.slice(q + 1) : ''));
}

export function hashFor(path, params = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const s = qs.toString();
  return '#/' + path + (s ? '?' + s : '');
}

export function errorBox(message) {
  return el('div.error', { role: 'alert', dataset: { testid: 'error' } }, message);
}

export function debounce(fn, ms) {
  let t = 0;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
