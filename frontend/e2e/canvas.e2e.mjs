// Browser e2e of the canvas against a running local stack (`python -m functions.local`).
//
//   ORCHEO_URL=http://127.0.0.1:8000 ORCHEO_TOKEN=$(cat ~/.orcheo/admin-token) node e2e/canvas.e2e.mjs
//
// Drives Debian's chromium (CHROMIUM, default /usr/bin/chromium) with playwright-core:
// sign in, build a 4-node If/Else workflow by drag and drop, configure it, see a server
// validation error pinned to its node, save, run it and watch it live, open the step
// viewer, undo/redo, export and re-import JSON, restore an older version. A failing
// step saves a screenshot and the page's HTML to ARTIFACTS_DIR (default tmp/artifacts).
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.ORCHEO_URL ?? 'http://127.0.0.1:8000';
const TOKEN = process.env.ORCHEO_TOKEN ?? '';
const ARTIFACTS = path.resolve(process.env.ARTIFACTS_DIR ?? 'tmp/artifacts');
const EXECUTABLE = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 15000);

if (!TOKEN) {
  console.error('set ORCHEO_TOKEN to an admin token');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: EXECUTABLE,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1500, height: 900 }, acceptDownloads: true });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const consoleErrors = [];
page.on('console', (m) => {
  if (m.type() === 'error') consoleErrors.push(m.text());
});
page.on('pageerror', (e) => consoleErrors.push(String(e)));

let current = 'start';
const timings = {};
async function step(name, fn) {
  current = name;
  const t0 = Date.now();
  await fn();
  timings[name] = Date.now() - t0;
  console.log(`ok   ${name} (${timings[name]} ms)`);
}

function expect(cond, message) {
  if (!cond) throw new Error(`expectation failed: ${message}`);
}

const node = (id) => page.locator(`.react-flow__node[data-id="${id}"]`);
const mod = process.platform === 'darwin' ? 'Meta' : 'Control';

async function dropFromPalette(type, dx, dy) {
  const canvas = await page.locator('.react-flow').boundingBox();
  await page.dragAndDrop(`[data-testid="palette-${type}"]`, '.react-flow', {
    targetPosition: { x: dx, y: dy },
  });
  return canvas;
}

async function centre(locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element has no box');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

async function connect(sourceId, handle, targetId) {
  const from = handle
    ? node(sourceId).locator(`.react-flow__handle.source[data-handleid="${handle}"]`)
    : node(sourceId).locator('.react-flow__handle.source');
  const to = node(targetId).locator('.react-flow__handle.target');
  const a = await centre(from);
  const b = await centre(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}

async function select(id) {
  await node(id).locator('.node-head').click();
  await page.getByTestId('tab-node').click();
  await page.getByTestId('config-panel').waitFor();
}

async function edgeCount() {
  return page.locator('.react-flow__edge').count();
}

try {
  await step('a wrong token gets a clear 401 message', async () => {
    await page.goto(BASE);
    await page.getByTestId('token-input').fill('not-a-token');
    await page.getByTestId('signin-button').click();
    const text = await page.getByTestId('signin-error').textContent();
    expect(text.includes('401'), `sign-in error mentions 401: ${text}`);
  });

  await step('sign in with the admin token (kept in sessionStorage)', async () => {
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('signin-button').click();
    await page.getByTestId('new-workflow-name').waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem('orcheo.token'));
    expect(stored === TOKEN, 'token in sessionStorage');
    expect((await page.evaluate(() => localStorage.length)) === 0, 'nothing in localStorage');
  });

  await step('create a workflow: the editor opens', async () => {
    await page.getByTestId('new-workflow-name').fill('Order triage');
    await page.getByTestId('create-workflow').click();
    await page.getByTestId('palette-if_else').waitFor();
    await page.locator('.react-flow').waitFor();
  });

  await step('palette search filters the node types', async () => {
    await page.getByTestId('palette-search').fill('delay');
    expect(await page.getByTestId('palette-if_else').count() === 0, 'if_else hidden by the filter');
    await page.getByTestId('palette-delay').waitFor();
    await page.getByTestId('palette-search').fill('');
  });

  await step('drag four nodes onto the canvas', async () => {
    await dropFromPalette('set_variable', 100, 300);
    await dropFromPalette('if_else', 360, 300);
    await dropFromPalette('delay', 640, 180);
    await dropFromPalette('set_variable', 640, 420);
    for (const id of ['set_variable', 'if_else', 'delay', 'set_variable_2']) await node(id).waitFor();
    // If/Else exposes one handle per route
    expect((await node('if_else').locator('.react-flow__handle.source').count()) === 2, 'true and false handles');
    await node('if_else').locator('[data-handleid="true"]').waitFor();
    await node('if_else').locator('[data-handleid="false"]').waitFor();
  });

  await step('configure the nodes; inline validation says what is missing', async () => {
    await select('delay');
    await page.getByTestId('error-seconds').waitFor();
    await page.getByTestId('field-seconds').fill('abc');
    expect((await page.getByTestId('error-seconds').textContent()).includes('number'), 'not a number');
    await page.getByTestId('field-seconds').fill('1.5');
    await page.getByTestId('error-seconds').waitFor({ state: 'detached' });

    await select('set_variable');
    await page.getByTestId('add-values').click();
    await page.getByTestId('field-values.key.0').fill('total');
    await page.getByTestId('field-values.value.0').fill('{{ state.amount }}');
    await page.getByTestId('field-@label').fill('Read amount');

    await select('if_else');
    await page.getByTestId('add-conditions').click();
    await page.getByTestId('field-conditions.0.left').fill('{{ state.total }}');
    await page.getByTestId('field-conditions.0.operator').selectOption('gt');
    await page.getByTestId('field-conditions.0.right').fill('100');
    if (process.env.E2E_SCREENSHOTS) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'configure-if-else.png') });
    }

    await select('set_variable_2');
    await page.getByTestId('add-values').click();
    await page.getByTestId('field-values.key.0').fill('size');
    await page.getByTestId('field-values.value.0').fill('small');
  });

  await step('declare the workflow input', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.getByTestId('workflow-panel').waitFor();
    await page.getByTestId('add-state').click();
    await page.getByTestId('state-name-0').fill('amount');
    await page.getByTestId('state-default-0').fill('0');
  });

  await step('connect the nodes, routes from the If/Else handles', async () => {
    await connect('set_variable', null, 'if_else');
    await connect('if_else', 'true', 'delay');
    expect((await edgeCount()) === 2, `2 edges, got ${await edgeCount()}`);
  });

  await step('save with a route missing: the server problem is pinned to the If/Else', async () => {
    await page.getByTestId('save').click();
    await page.getByTestId('notice').filter({ hasText: 'Not saved' }).waitFor();
    const notice = await page.getByTestId('notice').textContent();
    expect(notice.includes('Not saved') && notice.includes('if_else'), `save refused: ${notice}`);
    await page.getByTestId('node-issues').waitFor();
    const issues = await page.getByTestId('node-issues').textContent();
    expect(issues.includes('false'), `issue names the false route: ${issues}`);
    await node('if_else').locator('.node-issues').waitFor();
  });

  await step('connect the false route and save version 1', async () => {
    await connect('if_else', 'false', 'set_variable_2');
    expect((await edgeCount()) === 3, '3 edges');
    await page.getByTestId('save').click();
    await page.getByText('Saved version 1.').waitFor();
    expect((await page.getByTestId('version-label').textContent()).startsWith('v1'), 'v1 on the canvas');
  });

  await step('run it and watch node status change live over the WebSocket', async () => {
    await page.getByTestId('tab-run').click();
    // the form for the declared inputs writes the JSON
    await page.getByTestId('run-input-amount').fill('500');
    expect(JSON.parse(await page.getByTestId('run-inputs').inputValue()).amount === 500, 'amount 500 in the JSON');
    await page.getByTestId('run-button').click();
    // the 1.5 s delay is seen running, then succeeding
    await page.locator('[data-testid="node-delay"][data-status="running"]').waitFor();
    await node('delay').locator('.spinner').waitFor();
    await page.locator('[data-testid="node-delay"][data-status="succeeded"]').waitFor();
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor();
    for (const id of ['set_variable', 'if_else']) {
      expect((await page.getByTestId(`node-${id}`).getAttribute('data-status')) === 'succeeded', `${id} succeeded`);
    }
    expect((await page.getByTestId('node-set_variable_2').getAttribute('data-status')) === 'idle', 'false branch not run');
    if (process.env.E2E_SCREENSHOTS) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'run-succeeded.png') });
    }
    const duration = await node('delay').locator('.node-duration').textContent();
    expect(/s$/.test(duration.trim()), `delay shows its duration: ${duration}`);
  });

  await step('the step viewer shows input and output per node', async () => {
    await page.getByTestId('step-set_variable').click();
    const output = await page.getByTestId('step-output').textContent();
    expect(output.includes('"total": 500'), `set_variable output: ${output}`);
    await page.getByTestId('step-delay').click();
    expect((await page.getByTestId('step-input').textContent()).includes('"amount": 500'), 'delay input');
    expect((await page.getByTestId('run-history').locator('li').count()) >= 1, 'run history lists the run');
  });

  await step('replay a run from the run history', async () => {
    const history = page.getByTestId('run-history').locator('li');
    const before = await history.count();
    await page.locator('[data-testid^="replay-"]').first().click();
    await page.locator('[data-testid="run-status"][data-status="running"]').waitFor();
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-history"] li').length === n + 1, before);
    expect((await history.first().textContent()).includes('replay'), 'the newest run is the replay');
  });

  await step('a Switch gets one handle per case plus default', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await dropFromPalette('switch', 120, 80);
    await node('switch').waitFor();
    await select('switch');
    await page.getByTestId('add-cases').click();
    await page.getByTestId('field-cases.0.label').fill('vip');
    await node('switch').locator('[data-handleid="vip"]').waitFor();
    await node('switch').locator('[data-handleid="default"]').waitFor();
    await page.getByTestId('field-default_label').fill('other');
    await node('switch').locator('[data-handleid="other"]').waitFor();
    await node('switch').locator('.node-head').click();
    await page.keyboard.press('Delete');
    await node('switch').waitFor({ state: 'detached' });
  });

  await step('undo and redo: a drop, a drag, typing in a field does not undo the canvas', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    const before = await page.locator('.react-flow__node').count();
    await dropFromPalette('debug', 360, 560);
    await node('debug').waitFor();
    expect((await page.locator('.react-flow__node').count()) === before + 1, 'debug added');
    // drag it: one step
    const c = await centre(node('debug').locator('.node-head'));
    await page.mouse.move(c.x, c.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i += 1) await page.mouse.move(c.x + i * 12, c.y + i * 4);
    await page.mouse.up();
    const moved = await node('debug').boundingBox();
    // typing in a field, then Ctrl+Z in it, leaves the canvas alone
    await page.getByTestId('palette-search').fill('x');
    await page.getByTestId('palette-search').press(`${mod}+z`);
    expect((await page.locator('.react-flow__node').count()) === before + 1, 'Ctrl+Z in a field ignored');
    await page.getByTestId('palette-search').fill('');
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press(`${mod}+z`); // undoes the whole drag
    const back = await node('debug').boundingBox();
    expect(back.x < moved.x - 60, `drag undone in one step (${moved.x} -> ${back.x})`);
    await page.keyboard.press(`${mod}+z`); // undoes the drop
    await node('debug').waitFor({ state: 'detached' });
    await page.keyboard.press(`${mod}+Shift+z`);
    await node('debug').waitFor();
    await page.keyboard.press(`${mod}+Shift+z`);
    // copy/paste makes a new id; delete removes the selection
    await node('debug').locator('.node-head').click();
    await page.keyboard.press(`${mod}+c`);
    await page.keyboard.press(`${mod}+v`);
    await node('debug_2').waitFor();
    await page.keyboard.press('Delete');
    await node('debug_2').waitFor({ state: 'detached' });
    await node('debug').locator('.node-head').click();
    await page.keyboard.press('Delete');
    await node('debug').waitFor({ state: 'detached' });
  });

  await step('the shortcut help opens with ?', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press('?');
    await page.getByTestId('shortcut-help').waitFor();
    await page.keyboard.press('Escape');
    await page.getByTestId('shortcut-help').waitFor({ state: 'detached' });
  });

  await step('tidy up lays the graph out (elkjs, loaded on first use) as one undo step', async () => {
    const flowPos = async (id) =>
      (await node(id).getAttribute('style')).match(/translate\(([-\d.]+)px, ([-\d.]+)px\)/).slice(1).map(Number);
    const before = await flowPos('set_variable_2');
    await page.getByTestId('tidy').click();
    await page.waitForFunction(
      ([b]) => {
        const el = document.querySelector('.react-flow__node[data-id="set_variable_2"]');
        return el && !el.getAttribute('style').includes(`translate(${b[0]}px, ${b[1]}px)`);
      },
      [before],
    );
    const tidy = await flowPos('set_variable_2');
    const [a, b] = [await flowPos('set_variable'), await flowPos('if_else')];
    expect(a[0] < b[0] && b[0] < tidy[0], `left to right: ${a} ${b} ${tidy}`);
    await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.keyboard.press(`${mod}+z`);
    expect(JSON.stringify(await flowPos('set_variable_2')) === JSON.stringify(before), 'undone in one step');
    await page.keyboard.press(`${mod}+Shift+z`);
    expect(JSON.stringify(await flowPos('set_variable_2')) === JSON.stringify(tidy), 'redone');
  });

  await step('change the delay and save version 2', async () => {
    await select('delay');
    await page.getByTestId('field-seconds').fill('0.2');
    await page.getByTestId('save').click();
    await page.getByText('Saved version 2.').waitFor();
  });

  let exported;
  await step('export JSON', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    mkdirSync(ARTIFACTS, { recursive: true });
    exported = path.join(ARTIFACTS, 'export.json');
    await download.saveAs(exported);
    const doc = JSON.parse(readFileSync(exported, 'utf8'));
    expect(doc.format === 'orcheo.workflow/v1', `export format ${doc.format}`);
    expect(doc.versions.length === 2, 'two versions exported');
    const spec = doc.versions[1].spec;
    expect(spec.edges.some((e) => e.routes && e.routes.true === 'delay' && e.routes.false === 'set_variable_2'), 'routes saved');
  });

  await step('a save that conflicts with another save says so and offers a reload', async () => {
    const workflowId = decodeURIComponent(new URL(page.url()).hash.replace('#/w/', ''));
    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const latest = await (await fetch(`${BASE}/api/workflows/${workflowId}/versions/2`, { headers })).json();
    const spec = structuredClone(latest.spec);
    spec.nodes.find((n) => n.id === 'delay').ui.label = 'Saved elsewhere';
    const other = await fetch(`${BASE}/api/workflows/${workflowId}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ spec, note: 'another tab', base_version: 2 }),
    });
    expect(other.status === 201 || other.status === 200, `API save ${other.status}`);
    await select('set_variable_2');
    await page.getByTestId('field-@label').fill('Small order');
    await page.getByTestId('save').click();
    await page.getByTestId('notice').filter({ hasText: 'reload' }).waitFor();
    const notice = await page.getByTestId('notice').textContent();
    expect(notice.includes('version 3'), `conflict notice: ${notice}`);
    await page.getByTestId('conflict-reload').click();
    await node('delay').getByText('Saved elsewhere').waitFor();
    expect((await page.getByTestId('version-label').textContent()).startsWith('v3'), 'v3 on the canvas');
  });

  await step('restore version 1 from the history', async () => {
    await page.getByTestId('tab-versions').click();
    await page.getByTestId('version-2').waitFor();
    // saving does not change the version that runs on triggers: v1 is still live
    await page.getByTestId('version-1').locator('.badge').waitFor();
    await page.getByTestId('restore-2').click();
    await page.getByText('Restored version 2').waitFor();
    await page.getByTestId('version-2').locator('.badge').waitFor();
    await page.getByTestId('restore-1').click();
    await page.getByText('Restored version 1').waitFor();
    await page.getByTestId('version-1').locator('.badge').waitFor();
    await select('delay');
    expect((await page.getByTestId('field-seconds').inputValue()) === '1.5', 'v1 config back on the canvas');
  });

  await step('re-import the exported JSON from the list', async () => {
    await page.getByTestId('back').click();
    await page.getByTestId('workflow-table').waitFor();
    const rows = page.locator('[data-testid^="workflow-row-"]');
    const before = await rows.count();
    // the exported id exists on this server: the canvas imports a copy under a new id
    await page.getByTestId('import-file').setInputFiles(exported);
    const message = await page.getByTestId('list-message').textContent();
    expect(message.includes('Imported "Order triage" with 2 version(s)'), `import message: ${message}`);
    await page.locator(`[data-testid^="workflow-row-order-triage"][data-testid*="-copy-"]`).first().waitFor();
    expect((await rows.count()) === before + 1, 'one more workflow listed');
  });

  await step('rename and delete a workflow from the list', async () => {
    const copy = page.locator('[data-testid^="workflow-row-order-triage"][data-testid*="-copy-"]').first();
    const rowId = await copy.getAttribute('data-testid');
    await copy.getByRole('button', { name: 'Rename' }).click();
    await copy.getByRole('textbox', { name: 'New name' }).fill('Order triage (imported)');
    await copy.getByRole('textbox', { name: 'New name' }).press('Enter');
    await page.getByTestId(rowId).getByText('Order triage (imported)').waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByTestId(rowId).getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId(rowId).waitFor({ state: 'detached' });
  });

  await step('a LangGraph script workflow is drawn read-only, runs and shows its steps', async () => {
    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
    const source = [
      'from typing import Literal, TypedDict',
      'from langgraph.graph import END, START, StateGraph',
      'class S(TypedDict, total=False):',
      '    amount: int',
      '    size: str',
      'def classify(state: S) -> S:',
      '    return {}',
      'def route(state: S) -> Literal["big", "small"]:',
      '    return "big" if state.get("amount", 0) > 100 else "small"',
      'def big(state: S) -> S:',
      '    return {"size": "big"}',
      'def small(state: S) -> S:',
      '    return {"size": "small"}',
      'builder = StateGraph(S)',
      'builder.add_node("classify", classify)',
      'builder.add_node("big", big)',
      'builder.add_node("small", small)',
      'builder.add_edge(START, "classify")',
      'builder.add_conditional_edges("classify", route)',
      'builder.add_edge("big", END)',
      'builder.add_edge("small", END)',
      'graph = builder.compile()',
    ].join('\n');
    const made = await fetch(`${BASE}/api/workflows/script`, { method: 'POST', headers, body: JSON.stringify({ name: 'scripted', source }) });
    if (made.status === 404 || made.status === 405) {
      timings['script workflow'] = 'skipped: this server has no POST /api/workflows/script';
      return;
    }
    expect(made.status === 201 || made.status === 200, `script workflow created: ${made.status}`);
    const wf = await made.json();
    await page.goto(`${BASE}/#/w/${encodeURIComponent(wf.id)}`);
    await page.getByTestId('script-banner').waitFor();
    await page.getByTestId('script-source').waitFor();
    expect(await page.getByTestId('save').isDisabled(), 'a script is not saved from the canvas');
    await node('classify').locator('[data-handleid="big"]').waitFor();
    await page.getByTestId('tab-run').click();
    await page.getByTestId('run-inputs').fill('{"amount": 500}');
    await page.getByTestId('run-button').click();
    await page.locator('[data-testid="run-status"][data-status="succeeded"]').waitFor();
    expect((await page.getByTestId('node-big').getAttribute('data-status')) === 'succeeded', 'big ran');
    expect((await page.getByTestId('node-small').getAttribute('data-status')) === 'idle', 'small did not');
    await page.getByTestId('back').click();
    await page.getByTestId('workflow-table').waitFor();
  });

  await step('a 600-node workflow: import, render, zoom in, save', async () => {
    const big = { name: 'big', nodes: [], edges: [], state: {} };
    for (let i = 0; i < 600; i += 1) {
      big.nodes.push({
        id: `n${i}`,
        type: 'set_variable',
        config: { values: { [`k${i}`]: i } },
        ui: { position: { x: (i % 30) * 240, y: Math.floor(i / 30) * 120 } },
      });
      if (i > 0) big.edges.push({ kind: 'static', source: `n${i - 1}`, target: `n${i}` });
    }
    const file = path.join(ARTIFACTS, 'big.json');
    writeFileSync(file, JSON.stringify(big));
    await page.getByTestId('new-workflow-name').fill('Big one');
    await page.getByTestId('create-workflow').click();
    await page.getByTestId('palette-if_else').waitFor();
    const t0 = Date.now();
    await page.getByTestId('import-canvas-file').setInputFiles(file);
    await node('n599').waitFor({ state: 'attached' });
    timings['big: import to 600 nodes on screen (ms)'] = Date.now() - t0;
    await page.waitForTimeout(300);
    const all = await page.locator('.react-flow__node').count();
    // fitted, 600 nodes are drawn as boxes without text, and the minimap starts hidden
    await page.locator('.canvas.lod-far').waitFor();
    const anchored = await page.evaluate(() => [...document.querySelectorAll('.react-flow__edge-path')].filter((p) => (p.getAttribute('d') ?? '').length > 10).length + [...document.querySelectorAll('.far-edges path')].filter((p) => (p.getAttribute('d') ?? '').length > 10).length);
    expect(anchored === 599, `every edge drawn far out: ${anchored}`);
    expect((await page.locator('.react-flow__minimap').count()) === 0, 'no minimap on a big graph');
    await page.getByTestId('toggle-minimap').click();
    await page.locator('.react-flow__minimap').waitFor();
    await page.getByTestId('toggle-minimap').click();
    // zoom in on the first node: only what is in view stays in the DOM
    await node('n0').click({ position: { x: 4, y: 4 } }); // far out the title is not drawn: click the box
    const z0 = Date.now();
    for (let i = 0; i < 8; i += 1) await page.getByRole('button', { name: 'Zoom In' }).click();
    await page.waitForTimeout(300);
    const inView = await page.locator('.react-flow__node').count();
    timings['big: DOM nodes when fitted / zoomed in'] = `${all} / ${inView}`;
    expect((await page.locator('.canvas.lod-far').count()) === 0, 'zoomed in: full nodes again');
    timings['big: 8 zoom steps (ms)'] = Date.now() - z0;
    expect(inView < all, `virtualised: ${inView} of ${all} nodes in the DOM after zooming in`);
    const s0 = Date.now();
    await page.getByTestId('save').click();
    await page.getByText('Saved version 1.').waitFor();
    timings['big: save 600 nodes (ms)'] = Date.now() - s0;
  });


  const SECRET = 'e2e-bearer-secret-7f3a9c';
  await step('credentials: create one; the secret is shown only masked, and tested', async () => {
    await page.getByTestId('back').click();
    await page.getByTestId('credentials-button').click();
    await page.getByTestId('cred-form').waitFor();
    await page.getByTestId('cred-type').selectOption('http_bearer');
    await page.getByTestId('cred-name').fill('e2e-token');
    await page.getByTestId('cred-secret-token').fill('abc');
    await page.getByTestId('cred-save').click();
    await page.getByTestId('cred-error-secret.token').waitFor(); // too short to redact: refused before sending
    await page.getByTestId('cred-secret-token').fill(SECRET);
    expect((await page.getByTestId('cred-secret-token').getAttribute('type')) === 'password', 'typed into a password field');
    await page.getByTestId('cred-setting-test_url').fill(`${BASE}/api/health`);
    await page.getByTestId('cred-save').click();
    const preview = await page.getByTestId('cred-preview-e2e-token').textContent();
    expect(preview.includes('…') && !preview.includes(SECRET), `masked preview: ${preview}`);
    expect((await page.getByTestId('cred-secret-token').inputValue()) === '', 'the form forgets the secret');
    expect(!(await page.content()).includes(SECRET), 'the secret is nowhere in the page');
    await page.getByTestId('cred-test-e2e-token').click();
    await page.getByTestId('cred-test-result-e2e-token').filter({ hasText: '✓' }).waitFor();
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: path.join(ARTIFACTS, 'credentials.png') });
    // reloading shows what the server keeps: the preview only
    await page.reload();
    expect((await page.getByTestId('cred-preview-e2e-token').textContent()) === preview, 'same preview after reload');
    await page.getByTestId('back').click();
  });

  let templateWorkflow;
  await step('start from a template: the scheduled report', async () => {
    await page.getByTestId('template-gallery').locator('summary').click();
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: path.join(ARTIFACTS, 'templates.png') });
    await page.getByTestId('use-template-scheduled-report').click();
    for (const id of ['fetch', 'summarise', 'post']) await node(id).waitFor();
    expect((await page.getByTestId('version-label').textContent()).startsWith('v1'), 'the template is version 1');
    templateWorkflow = decodeURIComponent(new URL(page.url()).hash.replace('#/w/', ''));
  });

  await step('pick the credential for the HTTP node; it is saved by id, never the secret', async () => {
    await select('fetch');
    await page.getByTestId('field-auth').selectOption('bearer');
    await page.getByTestId('cred-missing-auth').waitFor();
    await page.getByTestId('cred-slot-auth').selectOption({ label: (await page.getByTestId('cred-slot-auth').locator('option', { hasText: 'e2e-token' }).textContent()).trim() });
    await page.getByTestId('cred-missing-auth').waitFor({ state: 'detached' });
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: path.join(ARTIFACTS, 'credential-picker.png') });
    await page.getByTestId('save').click();
    await page.getByText('Saved version 2.').waitFor();
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const v2 = await (await fetch(`${BASE}/api/workflows/${templateWorkflow}/versions/2`, { headers })).json();
    const fetchNode = v2.spec.nodes.find((n) => n.id === 'fetch');
    expect(/^cred_/.test(fetchNode.credentials?.auth ?? ''), `bound by id: ${JSON.stringify(fetchNode.credentials)}`);
    expect(!JSON.stringify(v2).includes(SECRET), 'no secret in the spec');
  });

  await step("the template's schedule is live: its meaning and next 5 fire times", async () => {
    await page.getByTestId('tab-triggers').click();
    const description = await page.getByTestId('cron-description-weekday_morning').textContent();
    expect(description.includes('08:00') && description.includes('Europe/London'), `description: ${description}`);
    expect((await page.getByTestId('cron-next-weekday_morning').locator('li').count()) === 5, '5 next fires');
  });

  await step('set up a cron trigger, make it live, see the next 5 fires; pause and resume it', async () => {
    await page.getByTestId('add-cron').click();
    await page.getByTestId('trigger-id-1').fill('nightly');
    await page.getByTestId('cron-expression-1').fill('30 2 * * *');
    await page.getByTestId('cron-timezone-1').fill('Europe/Berlin');
    await page.getByTestId('live-nightly').filter({ hasText: 'Not live' }).waitFor();
    await page.getByTestId('make-live').click();
    await page.getByText('Version 3 is live').waitFor();
    const description = await page.getByTestId('cron-description-nightly').textContent();
    expect(description.includes('02:30'), `description: ${description}`);
    const fires = await page.getByTestId('cron-next-nightly').locator('li').allTextContents();
    expect(fires.length === 5 && fires.every((f) => f.includes('02:30 (+0')), `5 fires at 02:30 Berlin time: ${fires}`);
    await page.getByTestId('triggers-live').waitFor();
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: path.join(ARTIFACTS, 'triggers.png') });
    await page.getByTestId('cron-pause-nightly').click();
    await page.getByTestId('cron-paused-nightly').waitFor();
    await page.getByTestId('cron-next-nightly').waitFor({ state: 'detached' });
    const headers = { Authorization: `Bearer ${TOKEN}` };
    const live = await (await fetch(`${BASE}/api/workflows/${templateWorkflow}/triggers`, { headers })).json();
    expect(live.find((t) => t.id === 'nightly').paused === true, 'paused on the server');
    expect(live.find((t) => t.id === 'weekday_morning').paused === false, 'the other schedule still runs');
    await page.getByTestId('cron-resume-nightly').click();
    await page.getByTestId('cron-next-nightly').waitFor();
  });

  await step('a webhook: allowed verbs, URL, the signing secret shown once and accepted', async () => {
    await page.getByTestId('add-webhook').click();
    await page.getByTestId('webhook-method-PUT').check();
    await page.getByTestId('make-live').click();
    await page.getByText('Version 4 is live').waitFor();
    const url = (await page.getByTestId('webhook-url').textContent()).trim();
    expect(url.endsWith(`/hooks/${templateWorkflow}`), `hook URL ${url}`);
    await page.getByTestId('webhook-reveal').click();
    const secret = (await page.getByTestId('webhook-secret').locator('code').textContent()).trim();
    expect(secret.startsWith('whsec_'), 'a webhook secret');
    if (process.env.E2E_SCREENSHOTS) await page.screenshot({ path: path.join(ARTIFACTS, 'webhook.png') });
    await page.getByTestId('webhook-secret-hide').click();
    await page.getByTestId('webhook-secret-preview').filter({ hasText: 'already shown once' }).waitFor();
    expect((await page.getByTestId('webhook-reveal').count()) === 0, 'not offered twice');
    // the secret signs a real request; a verb the trigger does not allow gets 405
    const body = JSON.stringify({ hello: 'world' });
    const t = Math.floor(Date.now() / 1000);
    const sig = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    const signed = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'application/json', 'X-Orcheo-Signature': `t=${t},v1=${sig}` } });
    expect(signed.status === 202, `signed PUT accepted: ${signed.status}`);
    const patch = await fetch(url, { method: 'PATCH', body, headers: { 'Content-Type': 'application/json' } });
    expect(patch.status === 405, `PATCH refused: ${patch.status}`);
  });

  await step('no errors in the browser console', async () => {
    const real = consoleErrors.filter((e) => !/\b(401|409|422)\b/.test(e));
    expect(real.length === 0, `console errors: ${real.join(' | ')}`);
  });

  console.log(`PASS canvas e2e ${JSON.stringify(timings)}`);
  await browser.close();
} catch (error) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const stem = path.join(ARTIFACTS, `failure-${current.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}`);
  try {
    await page.screenshot({ path: `${stem}.png`, fullPage: true });
    writeFileSync(`${stem}.html`, await page.content());
  } catch {
    /* the page may be gone */
  }
  console.error(`FAIL at "${current}": ${error instanceof Error ? error.stack : error}`);
  console.error(`screenshot: ${stem}.png; console errors: ${consoleErrors.join(' | ')}`);
  await browser.close();
  process.exit(1);
}
