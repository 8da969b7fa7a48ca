// The canvas benchmark's browser side: `python -m bench canvas` starts the local stack
// and runs this with node. It can also run alone against any stack:
//
//   ORCHEO_URL=http://127.0.0.1:8000 ORCHEO_TOKEN=$(cat ~/.orcheo/admin-token) node bench/canvas_walk.mjs
//
// For each size it saves an N-node workflow through the API, then, in a fresh headless
// chromium page each repeat: opens the editor on it (time to interactive), drags a node
// for DRAG_MS and pans the background for DRAG_MS (frames in which the node / the
// viewport moved, per second). Prints one JSON document on the last line of stdout.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// playwright-core is a dev dependency of the canvas (frontend/node_modules).
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'frontend', 'package.json'));
const { chromium } = require('playwright-core');

const BASE = process.env.ORCHEO_URL ?? 'http://127.0.0.1:8000';
const TOKEN = process.env.ORCHEO_TOKEN ?? '';
const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';
const SIZES = (process.env.SIZES ?? '100,500,1000').split(',').map(Number);
const REPEATS = Number(process.env.REPEATS ?? 3);
const DRAG_MS = Number(process.env.DRAG_MS ?? 2000);
const VIEWPORT = { width: 1500, height: 900 };
const COLUMNS = 30;

if (!TOKEN) {
  console.error('set ORCHEO_TOKEN to an admin token');
  process.exit(2);
}

const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

/** N nodes on a 30-column grid, chained; every 10th an If/Else routing to the next two. */
export function bigSpec(n) {
  const nodes = [];
  const edges = [];
  for (let i = 0; i < n; i += 1) {
    const position = { x: (i % COLUMNS) * 240, y: Math.floor(i / COLUMNS) * 140 };
    const router = i % 10 === 5 && i + 2 < n;
    nodes.push(
      router
        ? {
            id: `n${i}`,
            type: 'if_else',
            config: { conditions: [{ left: `{{ state.k${i - 1} }}`, operator: 'gt', right: i }] },
            ui: { position },
          }
        : { id: `n${i}`, type: 'set_variable', config: { values: { [`k${i}`]: i } }, ui: { position } },
    );
  }
  for (let i = 0; i + 1 < n; i += 1) {
    if (nodes[i].type === 'if_else') edges.push({ kind: 'conditional', source: `n${i}`, routes: { true: `n${i + 1}`, false: `n${i + 2}` } });
    else edges.push({ kind: 'static', source: `n${i}`, target: `n${i + 1}` });
  }
  return { name: `bench ${n}`, entry: 'n0', nodes, edges, state: {} };
}

async function api(method, url, body) {
  const answer = await fetch(`${BASE}/api${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${url}: ${answer.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

// Counts, per animation frame, whether the watched element's transform changed.
const FRAME_PROBE = () => {
  window.__frames = { on: false, stamps: [], moved: [], last: null, selector: '', el: null };
  const tick = (t) => {
    const f = window.__frames;
    if (f.on) {
      if (!f.el?.isConnected) f.el = document.querySelector(f.selector);
      const el = f.el;
      const now = el ? el.style.transform : null;
      f.stamps.push(t);
      f.moved.push(now !== f.last);
      f.last = now;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  window.__long = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__long.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no longtask support */
  }
};

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : null;
}

async function startFrames(page, selector) {
  await page.evaluate((sel) => {
    const f = window.__frames;
    f.selector = sel;
    f.el = null;
    f.stamps = [];
    f.moved = [];
    f.last = document.querySelector(sel)?.style.transform ?? null;
    f.on = true;
  }, selector);
}

async function stopFrames(page) {
  return page.evaluate(() => {
    const f = window.__frames;
    f.on = false;
    return { stamps: f.stamps, moved: f.moved };
  });
}

/** Frames in which the element moved, per second, over the span of the movement. */
function fps({ stamps, moved }) {
  const idx = moved.map((m, i) => (m ? i : -1)).filter((i) => i >= 0);
  if (idx.length < 2) return { fps: 0, frames: idx.length, p95_frame_ms: null };
  const first = stamps[idx[0]];
  const last = stamps[idx.at(-1)];
  const gaps = idx.slice(1).map((i, k) => stamps[i] - stamps[idx[k]]);
  return {
    fps: Math.round(((idx.length - 1) / (last - first)) * 1000 * 10) / 10,
    frames: idx.length,
    p95_frame_ms: Math.round(quantile(gaps, 0.95) * 10) / 10,
  };
}

/** Main-thread seconds by kind (Chrome's Performance domain) since the last call. */
async function cpuSplit(cdp, before) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const now = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  if (!before) return now;
  const d = (k) => Math.round((now[k] - before[k]) * 1000);
  return { task_ms: d('TaskDuration'), script_ms: d('ScriptDuration'), style_ms: d('RecalcStyleDuration'), layout_ms: d('LayoutDuration') };
}

// TRACE=prefix [TRACE_PHASE=drag|pan]: a Chrome trace of that phase, for chrome://tracing or
// a summary by event name (where the main thread's time goes).
async function startTrace(cdp, phase) {
  if (!process.env.TRACE || (process.env.TRACE_PHASE ?? 'drag') !== phase) return;
  await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReturnAsStream' });
}

async function stopTrace(cdp, phase, n) {
  if (!process.env.TRACE || (process.env.TRACE_PHASE ?? 'drag') !== phase) return;
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.end');
  const { stream } = await done;
  let data = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle: stream });
    data += chunk.data;
    if (chunk.eof) break;
  }
  const { writeFileSync } = await import('node:fs');
  writeFileSync(`${process.env.TRACE}-${phase}-${n}.json`, data);
}

/** Press at `from`, move the mouse in small steps for DRAG_MS, release. */
async function sweep(page, from, dx, dy) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  const t0 = Date.now();
  let i = 0;
  while (Date.now() - t0 < DRAG_MS) {
    i += 1;
    const phase = (i % 80) / 80; // back and forth so the node stays on screen
    const k = phase < 0.5 ? phase * 2 : 2 - phase * 2;
    await page.mouse.move(from.x + dx * k, from.y + dy * k);
  }
  await page.mouse.up();
  return i;
}

async function measure(browser, workflowId, n) {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript((token) => sessionStorage.setItem('orcheo.token', token), TOKEN);
  await context.addInitScript(FRAME_PROBE);
  // experiments: EXTRA_CSS is added to every page
  if (process.env.EXTRA_CSS) {
    await context.addInitScript((css) => {
      document.addEventListener('DOMContentLoaded', () => {
        const style = document.createElement('style');
        style.textContent = css;
        document.head.appendChild(style);
      });
    }, process.env.EXTRA_CSS);
  }
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  await page.goto(`${BASE}/#/w/${encodeURIComponent(workflowId)}`);
  // drawn: the nodes are in the DOM, the loading overlay is gone and the first fit ran
  await page.waitForFunction(
    () =>
      !document.querySelector('.loading') &&
      document.querySelector('.react-flow__node') !== null &&
      document.querySelector('.react-flow__viewport')?.style.transform !== 'translate(0px, 0px) scale(1)',
    null,
    { polling: 'raf' },
  );
  const drawnMs = await page.evaluate(() => performance.now());
  // interactive: a click on a node is answered (the node shows selected)
  const target = page.locator('.react-flow__node[data-id="n0"]');
  await target.click({ position: { x: 5, y: 5 } });
  await page.waitForFunction(() => document.querySelector('.react-flow__node[data-id="n0"]')?.classList.contains('selected'), null, {
    polling: 'raf',
  });
  const interactiveMs = await page.evaluate(() => performance.now());
  const domNodes = await page.locator('.react-flow__node').count();
  // edges drawn (React Flow's, or the one far-out path): every edge must stay anchored
  const edgesDrawn = await page.evaluate(() => [...document.querySelectorAll('.react-flow__edge-path')].filter((p) => (p.getAttribute('d') ?? '').length > 10).length + [...document.querySelectorAll('.far-edges path')].filter((p) => (p.getAttribute('d') ?? '').length > 10).length);
  const longBefore = await page.evaluate(() => window.__long.length);

  // drag a node in the middle of the graph, the whole graph in view (every node rendered)
  const mid = `n${Math.floor(COLUMNS / 2) + COLUMNS * Math.floor(Math.min(n, 600) / COLUMNS / 2)}`;
  const box = await page.locator(`.react-flow__node[data-id="${mid}"]`).boundingBox();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  let cpu = await cpuSplit(cdp);
  if (process.env.PROFILE) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  await startTrace(cdp, 'drag');
  await startFrames(page, `.react-flow__node[data-id="${mid}"]`);
  const dragMoves = await sweep(page, { x: box.x + 6, y: box.y + 6 }, 160, 90);
  const drag = fps(await stopFrames(page));
  const dragCpu = await cpuSplit(cdp, cpu);
  await stopTrace(cdp, 'drag', n);
  if (process.env.PROFILE) {
    const { profile } = await cdp.send('Profiler.stop');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${process.env.PROFILE}-drag-${n}.cpuprofile`, JSON.stringify(profile));
  }
  cpu = await cpuSplit(cdp);

  // pan: drag the background (bottom-left corner of the canvas, empty after fitView)
  const canvas = await page.locator('.react-flow').boundingBox();
  await startTrace(cdp, 'pan');
  await startFrames(page, '.react-flow__viewport');
  const panMoves = await sweep(page, { x: canvas.x + 8, y: canvas.y + canvas.height - 8 }, 300, -200);
  const pan = fps(await stopFrames(page));
  const panCpu = await cpuSplit(cdp, cpu);
  await stopTrace(cdp, 'pan', n);
  const long = await page.evaluate((from) => window.__long.slice(from), longBefore);
  await context.close();
  if (errors.length) throw new Error(`page errors: ${errors.join(' | ')}`);
  return {
    drawn_ms: Math.round(drawnMs),
    interactive_ms: Math.round(interactiveMs),
    dom_nodes: domNodes,
    edges_drawn: edgesDrawn,
    drag_fps: drag.fps,
    drag_p95_frame_ms: drag.p95_frame_ms,
    drag_mouse_moves: dragMoves,
    pan_fps: pan.fps,
    pan_p95_frame_ms: pan.p95_frame_ms,
    pan_mouse_moves: panMoves,
    drag_main_thread: dragCpu,
    pan_main_thread: panCpu,
    long_tasks_while_moving: long.length,
    longest_task_ms: Math.round(Math.max(0, ...long.map((l) => l.duration))),
  };
}

const browser = await chromium.launch({
  executablePath: EXECUTABLE,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const results = {};
const chromiumVersion = browser.version();
try {
  for (const n of SIZES) {
    const wf = await api('POST', '/workflows', { name: `bench ${n}`, spec: bigSpec(n) });
    // a first, untimed open warms the HTTP cache and the server, as a second visit would be
    await measure(browser, wf.id, n);
    const runs = [];
    for (let r = 0; r < REPEATS; r += 1) runs.push(await measure(browser, wf.id, n));
    const med = (key) => median(runs.map((x) => x[key]));
    results[n] = {
      interactive_ms: med('interactive_ms'),
      drawn_ms: med('drawn_ms'),
      drag_fps: med('drag_fps'),
      pan_fps: med('pan_fps'),
      drag_p95_frame_ms: med('drag_p95_frame_ms'),
      pan_p95_frame_ms: med('pan_p95_frame_ms'),
      dom_nodes: med('dom_nodes'),
      edges_drawn: med('edges_drawn'),
      longest_task_ms: med('longest_task_ms'),
      runs,
    };
    console.error(
      `${n} nodes: interactive ${results[n].interactive_ms} ms (drawn ${results[n].drawn_ms}), drag ${results[n].drag_fps} fps, pan ${results[n].pan_fps} fps`,
    );
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ sizes: results, chromium: chromiumVersion }));
