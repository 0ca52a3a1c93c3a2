// A page in Debian's Firefox (firefox-esr), driven over WebDriver BiDi by
// puppeteer-core, for tests/studio/test_studio_firefox.py: the test sends one
// JSON command a line on stdin and reads one JSON answer a line on stdout, so
// every assertion stays in pytest. No browser is ever downloaded: the
// executable is the one given, and puppeteer-core has no install step.
//
//   node driver.mjs /usr/bin/firefox-esr
//   > {"op": "goto", "url": "http://127.0.0.1:8000/?token=..."}
//   < {"ok": true, "value": null}
import { createInterface } from 'node:readline';
import puppeteer from 'puppeteer-core';

const [executablePath] = process.argv.slice(2);
const errors = []; // uncaught exceptions and console errors in the page

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath,
  headless: true,
  // Nothing leaves the machine: puppeteer's automation prefs already point
  // updates, telemetry and safe browsing nowhere; these close the rest.
  extraPrefsFirefox: {
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'network.dns.disablePrefetch': true,
    'network.prefetch-next': false,
    'browser.region.network.url': '',
    'toolkit.telemetry.enabled': false,
  },
});
// A new tab, not the one Firefox starts with: headless, that first tab never
// has focus, so focus, blur and change never fire in it.
const page = await browser.newPage();
await page.setViewport({ width: 1280, height: 900 });
page.setDefaultTimeout(60_000);
page.on('pageerror', (e) => errors.push(`pageerror: ${e.message || e}`));
page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });

async function element(selector) {
  const el = await page.$(selector);
  if (!el) throw new Error(`no element matches ${selector}`);
  return el;
}

// Each op does one thing a person (or the OS) does to the page.
const ops = {
  goto: ({ url }) => page.goto(url).then(() => null),
  // expr: a JavaScript expression; a promise is awaited.
  eval: ({ expr }) => page.evaluate(expr),
  wait: ({ expr, ms }) =>
    page.waitForFunction(expr, { polling: 100, timeout: ms ?? 60_000 }).then(() => null),
  box: async ({ selector }) => (await element(selector)).boundingBox(),
  click: async ({ selector }) => { await (await element(selector)).click(); return null; },
  mouse: async ({ steps }) => {
    for (const [what, x, y] of steps) {
      if (what === 'move') await page.mouse.move(x, y);
      else if (what === 'down') await page.mouse.down();
      else if (what === 'up') await page.mouse.up();
      else throw new Error(`unknown mouse step ${what}`);
    }
    return null;
  },
  wheel: async ({ x, y, dy }) => {
    await page.mouse.move(x, y);
    await page.mouse.wheel({ deltaY: dy });
    return null;
  },
  // Typed as a person types: select what is there, type, Tab away (change fires).
  type: async ({ selector, text }) => {
    await (await element(selector)).click();
    await page.keyboard.down('Control');
    await page.keyboard.press('a');
    await page.keyboard.up('Control');
    await page.keyboard.type(text);
    await page.keyboard.press('Tab');
    return null;
  },
  // What the file picker would hand the page (BiDi input.setFiles).
  upload: async ({ selector, paths }) => { await (await element(selector)).uploadFile(...paths); return null; },
  screenshot: async ({ path }) => { await page.screenshot({ path, fullPage: true }); return path; },
  // One element as Firefox painted it: a PNG, base64.
  shot: async ({ selector }) => (await element(selector)).screenshot({ encoding: 'base64' }),
  errors: () => errors.splice(0),
};

const out = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
out({ ok: true, value: await browser.version() }); // ready
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { op, ...args } = JSON.parse(line);
  if (op === 'close') break;
  try {
    if (!ops[op]) throw new Error(`unknown op ${op}`);
    out({ ok: true, value: (await ops[op](args)) ?? null });
  } catch (e) {
    out({ ok: false, error: `${op}: ${e.message || e}` });
  }
}
await browser.close();
