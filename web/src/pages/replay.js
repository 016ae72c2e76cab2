// #/replay?run=R&scenario=S: a scenario's rollout from the stored trace:
// the map (read from the scenario file, if it is still there), the agents,
// the ego and its planned trajectory; events on a timeline; the ego's speed,
// acceleration, steering and nearest-agent distance under it. Play, pause,
// scrub, step, speed; follow the ego or pan (drag) and zoom (wheel).
import { api } from '../api.js';
import { el, num, hashFor, errorBox, clear } from '../util.js';
import { timeChart } from '../chart.js';

const TYPE_COLORS = { vehicle: '#3b82f6', pedestrian: '#f59e0b', cyclist: '#8b5cf6', static: '#6b7280', other: '#94a3b8' };
const EVENT_COLORS = { collision: '#dc2626', off_road: '#ea580c', against_traffic: '#d97706', red_light: '#be123c',
  goal_reached: '#16a34a' };
const LINE_COLORS = { broken_white: '#ffffff', solid_white: '#ffffff', broken_yellow: '#eab308', solid_yellow: '#eab308',
  virtual: null, unknown: '#cbd5e1' };
const SIGNAL = { r: '#dc2626', y: '#f59e0b', g: '#16a34a', u: '#9ca3af' };

export async function replayPage(root, params) {
  const run = params.run, scenario = params.scenario;
  if (!run || !scenario) {
    root.append(errorBox('Open a replay from a run or a comparison (it needs a run and a scenario).'));
    return {};
  }
  let trace, info, scene;
  try {
    [trace, info, scene] = await Promise.all([
      api(`runs/${run}/trace`, { id: scenario }),
      api(`runs/${run}/scenario`, { id: scenario }),
      api(`runs/${run}/scene`, { id: scenario }),
    ]);
  } catch (e) {
    root.append(el('h1', { text: `Replay: ${scenario}` }), errorBox(e.message));
    return {};
  }
  const N = trace.num_steps;
  const dt = trace.dt;
  const ego = trace.ego;
  const egoLength = scene.available && scene.ego.length > 0 ? scene.ego.length : 4.7;
  const egoWidth = scene.available && scene.ego.width > 0 ? scene.ego.width : 1.9;
  const events = info.events;
  const collisionAgents = new Map(); // agent id -> first collision step
  for (const e of events) {
    if (e.kind === 'collision' && !collisionAgents.has(e.agent_id)) collisionAgents.set(e.agent_id, e.step);
  }

  // ---- layout ----
  const state = { k: 0, playing: false, speed: 1, follow: true, scale: 6, cx: ego.x[0], cy: ego.y[0], acc: 0 };
  const canvas = el('canvas.replay', { dataset: { testid: 'replay-canvas', step: '0' } });
  const stage = el('div.stage', {}, canvas);
  const time = el('span.time', { dataset: { testid: 'replay-time' } });
  const playBtn = el('button.play', { text: '▶ play', dataset: { testid: 'replay-play' }, on: { click: () => toggle() } });
  const slider = el('input', { type: 'range', min: 0, max: N - 1, step: 1, value: 0, dataset: { testid: 'replay-slider' },
    on: { input: (e) => seek(Number(e.target.value)) } });
  const speedSel = el('select', { dataset: { testid: 'replay-speed' }, on: { change: (e) => { state.speed = Number(e.target.value); } } },
    [0.25, 0.5, 1, 2, 4].map((s) => el('option', { value: s, text: `${s}×`, selected: s === 1 })));
  const follow = el('input', { type: 'checkbox', checked: true, on: { change: (e) => { state.follow = e.target.checked; draw(); } } });
  const marks = el('div.marks', {}, events.map((e) => {
    const k = Math.max(0, Math.min(N - 1, e.step - trace.start_step));
    return el('button.mark', {
      title: `${e.kind} at step ${e.step}${e.agent_id ? ' with ' + e.agent_type + ' ' + e.agent_id : ''}${e.detail ? ' (' + e.detail + ')' : ''}`,
      style: { left: `${N > 1 ? (100 * k) / (N - 1) : 0}%`, background: EVENT_COLORS[e.kind] || '#64748b' },
      dataset: { kind: e.kind, k: String(k) },
      on: { click: () => seek(k) },
    });
  }));
  const timeline = el('div.timeline', {}, slider, marks);
  const controls = el('div.controls', {},
    el('button', { text: '|◀', title: 'to the start', on: { click: () => seek(0) } }),
    el('button', { text: '◀', title: 'step back', on: { click: () => seek(state.k - 1) } }),
    playBtn,
    el('button', { text: '▶|', title: 'step forward', on: { click: () => seek(state.k + 1) } }),
    speedSel, el('label', {}, follow, ' follow ego'),
    el('button', { text: '+', title: 'zoom in', on: { click: () => zoom(1.25) } }),
    el('button', { text: '−', title: 'zoom out', on: { click: () => zoom(0.8) } }),
    time);

  const otherRun = params.base
    ? el('a', { href: hashFor('replay', { run: params.base, scenario, base: run }), text: `the same scenario in run ${params.base}` })
    : null;
  const title = el('div.replay-head', {},
    el('h1', { text: `Replay: ${scenario}` }),
    el('p.summary-line', {},
      el('a', { href: `#/runs/${run}`, text: `run ${run} ‘${info.run.name}’` }),
      ` · ${info.run.planner} · score ${num(info.score, 3)} · ${N} states at ${dt} s`,
      otherRun ? ' · ' : '', otherRun));
  const sceneNote = scene.available ? null
    : el('div.note-box', { dataset: { testid: 'scene-note' }, role: 'status', text: scene.reason });

  // Curves: ego speed, acceleration, steering; distance to the nearest agent.
  const ts = ego.step.map((_, k) => Number((k * dt).toFixed(3)));
  const nearest = ego.x.map((x, k) => {
    let best = null;
    for (const a of trace.agents) {
      const i = k - a.k0;
      if (a.k0 < 0 || i < 0 || i >= a.x.length || a.x[i] === null) continue;
      const d = Math.hypot(a.x[i] - x, a.y[i] - ego.y[k]);
      if (best === null || d < best) best = d;
    }
    return best === null ? null : Number(best.toFixed(2));
  });
  const chartWidth = () => Math.max(300, Math.min(root.clientWidth || 1000, 1200) / 2 - 12);
  const seekFromChart = (i) => seek(i);
  const charts = [
    timeChart({ title: 'ego speed [m/s], acceleration [m/s²]', xs: ts, width: chartWidth(), onSeek: seekFromChart,
      series: [{ label: 'speed', color: '#2563eb', values: ego.speed }, { label: 'accel', color: '#f97316', values: ego.accel }] }),
    timeChart({ title: 'steering [rad], nearest agent [m]', xs: ts, width: chartWidth(), onSeek: seekFromChart,
      series: [{ label: 'steer', color: '#7c3aed', values: ego.steer }, { label: 'nearest agent', color: '#0f766e', values: nearest }] }),
  ];
  const eventList = el('table.grid.events', { dataset: { testid: 'replay-events' } },
    el('thead', {}, el('tr', {}, ['step', 't [s]', 'event', 'other party', 'detail', 'value'].map((h) => el('th', { text: h })))),
    el('tbody', {}, events.map((e) => el('tr.clickable', { on: { click: () => seek(e.step - trace.start_step) } },
      el('td', { text: String(e.step) }), el('td', { text: num((e.step - trace.start_step) * dt, 1) }),
      el('td', {}, el('span.dot', { style: { background: EVENT_COLORS[e.kind] || '#64748b' } }), ' ', e.kind),
      el('td', { text: e.agent_id ? `${e.agent_type} ${e.agent_id}` : '' }), el('td', { text: e.detail }),
      el('td', { text: e.value === null ? '' : num(e.value, 2) })))));
  root.append(...[title, sceneNote, stage, timeline, controls, el('div.curves', {}, charts),
    el('h2', { text: `Events (${events.length})` }), events.length ? eventList : el('p', { text: 'No events.' })].filter(Boolean));
  root.dataset.playing = 'false';

  // ---- drawing ----
  const ctx = canvas.getContext('2d');
  let W = 0, H = 0;
  function resize() {
    const ratio = window.devicePixelRatio || 1;
    W = stage.clientWidth || 900;
    H = Math.max(380, Math.min(560, Math.round(W * 0.55)));
    canvas.width = Math.round(W * ratio);
    canvas.height = Math.round(H * ratio);
    canvas.style.height = H + 'px';
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    draw();
  }
  const poly = (pts, close) => {
    ctx.beginPath();
    for (let i = 0; i + 1 < pts.length; i += 2) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, pts[i], pts[i + 1]);
    if (close) ctx.closePath();
  };
  const box = (x, y, h, l, w) => {
    const c = Math.cos(h), s = Math.sin(h);
    const pts = [[l / 2, w / 2], [-l / 2, w / 2], [-l / 2, -w / 2], [l / 2, -w / 2]];
    ctx.beginPath();
    pts.forEach(([px, py], i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, x + px * c - py * s, y + px * s + py * c));
    ctx.closePath();
  };
  function draw() {
    const k = state.k;
    if (state.follow) { state.cx = ego.x[k]; state.cy = ego.y[k]; }
    const ratio = window.devicePixelRatio || 1;
    const s = state.scale, px = 1 / s;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = '#f1f3f6';
    ctx.fillRect(0, 0, W, H);
    ctx.setTransform(s * ratio, 0, 0, -s * ratio, (W / 2 - state.cx * s) * ratio, (H / 2 + state.cy * s) * ratio);
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    const logStep = ego.step[k];
    if (scene.available) {
      const m = scene.map;
      for (const a of m.areas) if (a.t === 'drivable') { poly(a.p, true); ctx.fillStyle = '#e2e6eb'; ctx.fill(); }
      for (const l of m.lanes) {
        if (l.l && l.r) {
          const pts = l.l.slice();
          for (let i = l.r.length - 2; i >= 0; i -= 2) pts.push(l.r[i], l.r[i + 1]);
          poly(pts, true); ctx.fillStyle = '#dde2e8'; ctx.fill();
        } else {
          poly(l.c, false); ctx.strokeStyle = '#dde2e8'; ctx.lineWidth = 3.6; ctx.stroke();
        }
      }
      ctx.lineWidth = px;
      for (const l of m.lanes) {
        ctx.strokeStyle = '#b6bfcb';
        if (l.l) { poly(l.l, false); ctx.stroke(); }
        if (l.r) { poly(l.r, false); ctx.stroke(); }
      }
      ctx.setLineDash([4 * px, 6 * px]);
      ctx.strokeStyle = '#c3cad4';
      for (const l of m.lanes) { poly(l.c, false); ctx.stroke(); }
      ctx.setLineDash([]);
      for (const c of m.crosswalks) { poly(c, true); ctx.fillStyle = 'rgba(255,255,255,0.8)'; ctx.fill(); ctx.strokeStyle = '#9aa4b2'; ctx.stroke(); }
      for (const r of m.road_lines) {
        const color = LINE_COLORS[r.t];
        if (!color) continue;
        ctx.setLineDash(r.t.startsWith('broken') ? [3, 4] : []);
        ctx.strokeStyle = color; ctx.lineWidth = 0.15; poly(r.p, false); ctx.stroke();
      }
      ctx.setLineDash([]);
      ctx.strokeStyle = '#475569'; ctx.lineWidth = 1.6 * px;
      for (const e of m.road_edges) { poly(e, false); ctx.stroke(); }
      ctx.strokeStyle = '#dc2626'; ctx.lineWidth = 0.4;
      for (const sl of m.stop_lines) { poly(sl, false); ctx.stroke(); }
      ctx.fillStyle = 'rgba(16,185,129,0.18)'; ctx.strokeStyle = '#059669'; ctx.lineWidth = 1.5 * px;
      for (const g of scene.goal) {
        if (g.rect) { const [x, y, l, w, h] = g.rect; box(x, y, h, l, w); }
        else if (g.circle) { ctx.beginPath(); ctx.arc(g.circle[0], g.circle[1], g.circle[2], 0, 2 * Math.PI); }
        else if (g.polygon) poly(g.polygon, true);
        ctx.fill(); ctx.stroke();
      }
      for (const t of scene.traffic_lights) {
        const st = t.s[logStep] || 'u';
        ctx.beginPath(); ctx.arc(t.x, t.y, 0.9, 0, 2 * Math.PI); ctx.fillStyle = SIGNAL[st]; ctx.fill();
      }
    }
    // Ego trail and plan.
    ctx.strokeStyle = 'rgba(225,29,72,0.45)'; ctx.lineWidth = 2 * px;
    ctx.beginPath();
    for (let i = 0; i <= k; i++) (i ? ctx.lineTo : ctx.moveTo).call(ctx, ego.x[i], ego.y[i]);
    ctx.stroke();
    const plan = trace.plans[k];
    if (plan && plan.length >= 4) {
      ctx.strokeStyle = '#c026d3'; ctx.lineWidth = 2.5 * px; poly(plan, false); ctx.stroke();
      ctx.fillStyle = '#c026d3';
      for (let i = 0; i + 1 < plan.length; i += 2) { ctx.beginPath(); ctx.arc(plan[i], plan[i + 1], 2.2 * px, 0, 2 * Math.PI); ctx.fill(); }
    }
    // Agents.
    for (const a of trace.agents) {
      const i = k - a.k0;
      if (a.k0 < 0 || i < 0 || i >= a.x.length || a.x[i] === null) continue;
      box(a.x[i], a.y[i], a.heading[i], Math.max(a.length, 0.4), Math.max(a.width, 0.4));
      ctx.fillStyle = TYPE_COLORS[a.type] || TYPE_COLORS.other;
      ctx.globalAlpha = 0.85; ctx.fill(); ctx.globalAlpha = 1;
      const hit = collisionAgents.has(a.id) && collisionAgents.get(a.id) <= logStep;
      ctx.strokeStyle = hit ? '#dc2626' : '#1f2937'; ctx.lineWidth = (hit ? 3 : 1) * px; ctx.stroke();
    }
    // Ego.
    box(ego.x[k], ego.y[k], ego.heading[k], egoLength, egoWidth);
    ctx.fillStyle = '#e11d48'; ctx.fill(); ctx.strokeStyle = '#111827'; ctx.lineWidth = 1.5 * px; ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(ego.x[k], ego.y[k]);
    ctx.lineTo(ego.x[k] + Math.cos(ego.heading[k]) * egoLength * 0.6, ego.y[k] + Math.sin(ego.heading[k]) * egoLength * 0.6);
    ctx.strokeStyle = '#fff'; ctx.lineWidth = 2 * px; ctx.stroke();
    // Scale bar.
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const meters = [5, 10, 20, 50, 100].find((m) => m * s > 60) || 100;
    ctx.fillStyle = '#334155'; ctx.fillRect(12, H - 16, meters * s, 3);
    ctx.font = '11px system-ui'; ctx.fillText(`${meters} m`, 12, H - 22);
    time.textContent = `t = ${(k * dt).toFixed(1)} s · step ${logStep} (${k + 1}/${N}) · ${num(ego.speed[k], 1)} m/s`;
    canvas.dataset.step = String(k);
    slider.value = String(k);
    for (const c of charts) c.setMarker(ts[k]);
  }

  function seek(k) {
    state.k = Math.max(0, Math.min(N - 1, Math.round(k)));
    state.acc = 0;
    draw();
  }
  function zoom(f) {
    state.scale = Math.max(0.5, Math.min(80, state.scale * f));
    draw();
  }
  let last = 0, raf = 0;
  function frame(now) {
    if (!state.playing) return;
    const elapsed = last ? (now - last) / 1000 : 0;
    last = now;
    state.acc += elapsed * state.speed;
    let moved = false;
    while (state.acc >= dt && state.k < N - 1) { state.acc -= dt; state.k++; moved = true; }
    if (moved) draw();
    if (state.k >= N - 1) { setPlaying(false); return; }
    raf = requestAnimationFrame(frame);
  }
  function setPlaying(on) {
    state.playing = on;
    root.dataset.playing = String(on);
    playBtn.textContent = on ? '❚❚ pause' : '▶ play';
    cancelAnimationFrame(raf);
    if (on) { last = 0; raf = requestAnimationFrame(frame); }
  }
  function toggle() {
    if (!state.playing && state.k >= N - 1) seek(0);
    setPlaying(!state.playing);
  }

  // Pan (drag) and zoom (wheel).
  let drag = null;
  canvas.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, y: e.clientY, cx: state.cx, cy: state.cy }; canvas.setPointerCapture(e.pointerId); });
  canvas.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3 && state.follow) { state.follow = false; follow.checked = false; }
    state.cx = drag.cx - dx / state.scale; state.cy = drag.cy + dy / state.scale;
    draw();
  });
  canvas.addEventListener('pointerup', () => { drag = null; });
  canvas.addEventListener('wheel', (e) => { e.preventDefault(); zoom(Math.pow(1.0015, -e.deltaY)); }, { passive: false });
  const onKey = (e) => {
    if (e.target.closest && e.target.closest('input, select, textarea')) return;
    if (e.key === ' ') { e.preventDefault(); toggle(); }
    else if (e.key === 'ArrowRight') seek(state.k + 1);
    else if (e.key === 'ArrowLeft') seek(state.k - 1);
  };
  document.addEventListener('keydown', onKey);
  window.addEventListener('resize', resize);
  requestAnimationFrame(resize);
  resize();
  return {
    destroy: () => {
      setPlaying(false);
      document.removeEventListener('keydown', onKey);
      window.removeEventListener('resize', resize);
    },
  };
}
