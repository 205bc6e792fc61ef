// Drives Debian's headless Chromium (puppeteer-core, no browser download) over the HTML trace
// viewer pages that tests/browser/run.sh produced, and checks what a user sees:
//   node check.mjs <dir> <screenshot.png>
// <dir> holds demo.html (+ demo.jsonl), fixtures.html, big.html. Exits non-zero on the first failure.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, screenshot] = process.argv.slice(2);
if (!dir || !screenshot) {
  console.error('usage: node check.mjs <dir> <screenshot.png>');
  process.exit(2);
}
const browserPath = process.env.LLMTRACE_CHROMIUM || '/usr/bin/chromium';

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// The spans of an OTLP/JSON lines file, as {traceId, spanId, parentSpanId, name, dur} (dur in ns).
function readSpans(file) {
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    for (const rs of JSON.parse(line).resourceSpans)
      for (const ss of rs.scopeSpans || [])
        for (const s of ss.spans || [])
          out.push({ traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || '', name: s.name,
                     dur: Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) });
  }
  return out;
}

// Rows of the waterfall as the DOM shows them: span id, depth, bar width in px, phases in the bar.
async function rows(page) {
  return page.$$eval('#wf .row', (els) => els.map((r) => {
    const bar = r.querySelector('.bar');
    const b = bar.getBoundingClientRect();
    const track = r.querySelector('.track').getBoundingClientRect();
    return {
      id: r.dataset.spanId, depth: Number(r.dataset.depth), name: r.querySelector('.name').textContent,
      width: b.width, left: b.left - track.left, trackWidth: track.width,
      color: getComputedStyle(bar).backgroundColor, orphan: r.classList.contains('orphan'),
      phases: [...bar.querySelectorAll('.phase')].map((p) => {
        const q = p.getBoundingClientRect();
        return { name: p.dataset.phase, left: q.left, right: q.right, barLeft: b.left, barRight: b.right };
      }),
      ttfc: !!bar.querySelector('.ttfc'),
    };
  }));
}

// Checks one trace's waterfall against its spans: one bar per span, parents before children (each
// row's parent is the nearest shallower row above it), widths proportional to durations.
function checkWaterfall(label, shown, spans) {
  check(shown.length === spans.length, `${label}: one bar per span (${shown.length} bars, ${spans.length} spans)`);
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  let parentOrder = true;
  const stack = [];
  for (const r of shown) {
    while (stack.length && stack[stack.length - 1].depth >= r.depth) stack.pop();
    const parent = stack.length ? stack[stack.length - 1].id : '';
    const s = byId.get(r.id);
    const expected = s && byId.has(s.parentSpanId) ? s.parentSpanId : '';
    if (!s || parent !== expected || r.depth !== stack.length) parentOrder = false;
    stack.push(r);
  }
  check(parentOrder, `${label}: rows in parent order, indented by depth`);
  const trackWidth = shown[0].trackWidth;
  const total = Math.max(...shown.map((r) => byId.get(r.id).dur));
  let worst = 0;
  for (const r of shown) {
    const want = byId.get(r.id).dur / total * trackWidth;
    if (want < 2) continue;  // sub-pixel bars are drawn at the minimum width
    worst = Math.max(worst, Math.abs(r.width - want));
  }
  check(worst <= 1.5, `${label}: bar widths proportional to durations (worst error ${worst.toFixed(2)} px of ${trackWidth.toFixed(0)})`);
}

const browser = await puppeteer.launch({
  executablePath: browserPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-file-access-from-files'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  const open = async (file) => {
    await page.goto(pathToFileURL(path.join(dir, file)).href, { waitUntil: 'load' });
    await page.waitForSelector('html[data-rendered="1"]', { timeout: 60000 });
  };

  // --- the demo's trace ------------------------------------------------------------------------
  await open('demo.html');
  const demoSpans = readSpans(path.join(dir, 'demo.jsonl'));
  const demoTraces = new Set(demoSpans.map((s) => s.traceId));
  check(await page.$$eval('#traces tr.trace', (t) => t.length) === demoTraces.size,
        `demo: the trace list has one row per trace (${demoTraces.size})`);
  const first = await page.$eval('#traces tr.trace', (t) => ({ id: t.dataset.traceId, text: t.textContent }));
  check(first.text.startsWith('invoke_workflow rag') && !first.text.includes('ingest'),
        'demo: newest trace first (the question, after the ingest)');
  const demoRows = await rows(page);
  checkWaterfall('demo', demoRows, demoSpans.filter((s) => s.traceId === first.id));
  const chat = demoRows.find((r) => r.name.startsWith('chat '));
  check(!!chat && chat.phases.length === 3 &&
        chat.phases.every((p) => p.left >= p.barLeft - 0.5 && p.right <= p.barRight + 0.5),
        'demo: load, prompt_eval and eval phases drawn inside the chat bar');
  check(!!chat && chat.ttfc, 'demo: time to first chunk marked on the chat bar');
  await page.click(`#wf .row[data-span-id="${chat.id}"]`);  // the picture shows the chat span's panel too
  await page.screenshot({ path: screenshot });
  check(fs.statSync(screenshot).size > 10000, `demo: screenshot written (${screenshot})`);

  // --- fixtures: error, click, orphan, filter, hostile text -------------------------------------
  await open('fixtures.html');
  const fx = await rows(page);
  const fxSpans = readSpans(path.join(dir, 'fixtures.jsonl'));
  const ragId = fxSpans.find((s) => s.name === 'invoke_workflow rag').traceId;
  // The orphan (newest) is selected first; select the RAG trace.
  await page.click(`#traces tr.trace[data-trace-id="${ragId}"]`);
  const rag = await rows(page);
  checkWaterfall('fixtures', rag, fxSpans.filter((s) => s.traceId === ragId));
  const tool = rag.find((r) => r.name === 'execute_tool get_weather');
  check(tool && tool.color === 'rgb(209, 36, 47)', `fixtures: the failed span's bar is red (${tool && tool.color})`);
  const ok = rag.find((r) => r.name === 'retrieval docs');
  check(ok && ok.color !== tool.color, 'fixtures: a successful span is not red');
  const info = await page.$eval(`#wf .row[data-span-id="${rag.find((r) => r.name === 'chat llama3.2').id}"] .model-info`,
                                (e) => e.textContent);
  check(info === 'llama3.2 \u00b7 GPU 75% \u00b7 42.5 tok/s', `fixtures: GPU fraction and tokens/s beside the model (${info})`);
  check(!(await page.$eval('#details', (d) => !d.hidden)), 'fixtures: no detail panel before a click');
  await page.click(`#wf .row[data-span-id="${tool.id}"]`);
  const panel = await page.$eval('#details', (d) => ({ hidden: d.hidden, text: d.textContent }));
  check(!panel.hidden && panel.text.includes('gen_ai.tool.name') && panel.text.includes('get_weather') &&
        panel.text.includes('weather service unreachable') && panel.text.includes('exception'),
        'fixtures: a click opens the attribute panel (attributes, status, exception event)');
  await page.click(`#wf .row[data-span-id="${rag.find((r) => r.name === 'chat llama3.2').id}"]`);
  const msgs = await page.$$eval('#details .msg', (m) => m.map((x) => x.className + '|' + x.textContent));
  check(msgs.length === 3 && msgs[1].startsWith('msg user|user') && msgs[1].endsWith('What is a span?') &&
        msgs[2].startsWith('msg assistant|assistant (stop)'), `fixtures: captured messages shown as a transcript (${msgs.length})`);
  const orphanTrace = fxSpans.find((s) => s.name === 'late child').traceId;
  await page.click(`#traces tr.trace[data-trace-id="${orphanTrace}"]`);
  const orphan = await rows(page);
  check(orphan.length === 1 && orphan[0].orphan &&
        (await page.$eval('#wf .orphan-mark', (e) => e.textContent)).includes('missing'),
        'fixtures: a span whose parent is missing is shown and marked');
  await page.type('#filter', 'get_weather');
  check(await page.$$eval('#traces tr.trace', (t) => t.filter((r) => !r.hidden).length) === 1,
        'fixtures: the filter box narrows the trace list');
  await page.evaluate(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); });
  await page.click('#errors-only');
  check(await page.$$eval('#traces tr.trace', (t) => t.filter((r) => !r.hidden).length) === 1,
        'fixtures: "errors only" keeps the traces with errors');
  await page.click('#errors-only');

  // Hostile text: open its trace and its panel; nothing may have run, the text must be shown as is.
  const hostileSpan = fxSpans.find((s) => s.name.startsWith('hostile'));
  await page.click(`#traces tr.trace[data-trace-id="${hostileSpan.traceId}"]`);
  await page.click(`#wf .row[data-span-id="${hostileSpan.spanId}"]`);
  await new Promise((r) => setTimeout(r, 200));  // let a (wrongly) inserted <img onerror> fire
  const pwned = await page.evaluate(() => window.__llmtrace_pwned);
  check(pwned === undefined, `hostile: no injected script or handler ran (window.__llmtrace_pwned=${pwned})`);
  const shownText = await page.$eval('#details', (d) => d.textContent);
  check(shownText.includes('</script><script>window.__llmtrace_pwned=1</script>') &&
        shownText.includes('window.__llmtrace_pwned=3</script><img src=x onerror="window.__llmtrace_pwned=4">'),
        'hostile: the name, attributes and prompt are shown as text');
  check(await page.$$eval('img', (x) => x.length) === 0 && await page.$$eval('script', (x) => x.length) === 2,
        'hostile: no element was injected (no img, only the page\'s two scripts)');

  // --- 10,000 spans ------------------------------------------------------------------------------
  const t0 = Date.now();
  await open('big.html');
  const ms = Date.now() - t0;
  const bars = await page.$$eval('#wf .bar', (b) => b.length);
  check(bars === 10000, `big: all 10,000 spans rendered as bars (${bars})`);
  console.log(`big: 10,000-span file opened and rendered in ${ms} ms (headless Chromium, this machine)`);
  await page.click('#wf .row:last-child');
  check(!(await page.$eval('#details', (d) => d.hidden)), 'big: the last row opens its panel');

  check(errors.length === 0, `no script errors (${errors.join(' | ')})`);
  check(requests.length === 0, `no network requests (${requests.join(' ')})`);
} finally {
  await browser.close();
}
if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');
