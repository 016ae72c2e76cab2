// The dashboard's front end: a hash router over five views (runs, one run,
// trends, compare, replay) and a poller that refreshes the open view when
// the database changes (a run in progress). Bundled by esbuild into app.js.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api } from './api.js';
import { clear, errorBox } from './util.js';
import { runsPage } from './pages/runs.js';
import { runPage } from './pages/run.js';
import { trendsPage } from './pages/trends.js';
import { comparePage } from './pages/compare.js';
import { replayPage } from './pages/replay.js';

const app = document.getElementById('app');
let current = null; // {refresh, destroy} of the open view
let token = 0;

function route() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, query] = [h.split('?')[0], h.includes('?') ? h.slice(h.indexOf('?') + 1) : ''];
  const params = Object.fromEntries(new URLSearchParams(query));
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'runs' && parts[1]) return { nav: 'runs', view: (root) => runPage(root, params, parts[1]) };
  if (parts[0] === 'trends') return { nav: 'trends', view: (root) => trendsPage(root, params) };
  if (parts[0] === 'compare') return { nav: 'compare', view: (root) => comparePage(root, params) };
  if (parts[0] === 'replay') return { nav: 'runs', view: (root) => replayPage(root, params) };
  return { nav: 'runs', view: (root) => runsPage(root, params) };
}

async function show() {
  const my = ++token;
  if (current && current.destroy) current.destroy();
  current = null;
  const { nav, view } = route();
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('on', a.dataset.nav === nav);
  const root = document.createElement('div');
  root.className = 'view';
  clear(app).append(root);
  document.body.dataset.ready = 'false';
  try {
    const v = await view(root);
    if (my !== token) { if (v && v.destroy) v.destroy(); return; }
    current = v || {};
  } catch (e) {
    root.append(errorBox(e.message));
  }
  if (my === token) document.body.dataset.ready = 'true';
}

// Live: poll the store's version; when it changes, refresh the open view.
const poll = Number(new URLSearchParams(location.search).get('poll')) || 2000;
let version = null;
async function watch() {
  try {
    const s = await api('status');
    const live = document.getElementById('live-indicator');
    live.hidden = s.live.length === 0;
    live.textContent = s.live.length ? `● live: run ${s.live.join(', ')}` : '';
    if (version !== null && s.version !== version && current && current.refresh) {
      await current.refresh();
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || 0) + 1);
    }
    version = s.version;
  } catch (e) {
    // The server went away: keep trying quietly.
  }
  setTimeout(watch, poll);
}

api('info').then((i) => {
  document.getElementById('db-name').textContent = i.db;
  document.title = `tarmac · ${i.db}`;
}).catch(() => {});
window.addEventListener('hashchange', show);
show();
watch();
