// Helpers for yorube's browser end-to-end tests.
//
// Playwright (playwright-core, no bundled browser) drives Debian's /usr/bin/chromium.
// Each session gets a fresh Chromium profile (a new user data dir), so cookies never leak
// between tests. axe-core is injected into pages for accessibility checks, and every
// request that would leave the yorube server is recorded and aborted.
//
// Environment (set by e2e/run.sh): YORUBE_URL, YORUBE_PASSWORD, YORUBE_DB.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHmac } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through e2e/run.sh`);
  return v;
}

export const BASE_URL = required('YORUBE_URL').replace(/\/+$/, '');
export const PASSWORD = required('YORUBE_PASSWORD');
export const DB = process.env.YORUBE_DB ?? 'sqlite';
/** The demo administrators' second factor (base32), set by e2e/run.sh. */
export const TOTP = process.env.YORUBE_TOTP ?? '';

/** The current RFC 6238 code (6 digits, 30 s, SHA-1) of a base32 secret. */
export function totpCode(secret = TOTP, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
export const CHROMIUM = process.env.YORUBE_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS_DIR = path.join(here, 'test-results');

const ORIGIN = new URL(BASE_URL).origin;

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--lang=ja-JP',
];

/** Absolute URL on the yorube server for a path like "/users". */
export function url(p = '/') {
  return new URL(p, BASE_URL + '/').href;
}

/** True when a request URL is not on the yorube server (data:, blob: and about: are local). */
export function isOutside(u) {
  let parsed;
  try {
    parsed = new URL(u);
  } catch {
    return true;
  }
  if (['data:', 'blob:', 'about:'].includes(parsed.protocol)) return false;
  return parsed.origin !== ORIGIN;
}

/**
 * Launches headless Chromium with a new user data dir and returns a session:
 * { context, page, outside, assertNoOutsideRequests(), close() }.
 *
 * `bypassCSP` is on by default because the app's strict CSP (`script-src 'self'`)
 * would otherwise block the injected axe-core script. Pass { bypassCSP: false } to see
 * the page exactly as a user's browser enforces it.
 */
export async function openSession({ bypassCSP = true, viewport = { width: 1280, height: 800 } } = {}) {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'yorube-e2e-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      bypassCSP,
      viewport,
      locale: 'ja-JP',
      timezoneId: 'Asia/Tokyo',
      timeout: 60_000,
    });
  } catch (e) {
    await rm(userDataDir, { recursive: true, force: true });
    throw e;
  }
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);

  const guard = await guardOutsideRequests(context);
  const page = context.pages()[0] ?? (await context.newPage());

  return {
    context,
    page,
    outside: guard.outside,
    assertNoOutsideRequests: guard.assertNone,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Records (and aborts) every request from the context to a host other than the yorube
 * server, including WebSocket connections. Returns { outside, assertNone() }.
 */
export async function guardOutsideRequests(context) {
  const outside = [];
  const note = (kind, u, from) => outside.push(`${kind} ${u}${from ? ` (from ${from})` : ''}`);

  // Every request (routed or not) fires a 'request' event: record the outside ones here…
  context.on('request', (req) => {
    if (!isOutside(req.url())) return;
    let from = null;
    try { from = req.frame().url(); } catch { /* service worker or detached frame */ }
    note(req.resourceType(), req.url(), from);
  });
  // …and abort them, so that nothing actually leaves the machine.
  await context.route(
    (u) => isOutside(u.href),
    (route) => route.abort('blockedbyclient').catch(() => {}),
  );
  const watchPage = (p) => p.on('websocket', (ws) => { if (isOutside(ws.url())) note('websocket', ws.url(), p.url()); });
  context.pages().forEach(watchPage);
  context.on('page', watchPage);

  return {
    outside,
    assertNone() {
      assert.deepEqual(outside, [], `the page made requests outside ${ORIGIN}:\n  ${outside.join('\n  ')}`);
    },
  };
}

/** Goes to a path on the server and returns the main-document response. */
export async function visit(page, p) {
  const res = await page.goto(url(p), { waitUntil: 'load' });
  assert.ok(res, `no response for ${p}`);
  return res;
}

/**
 * Signs in through the /login form and waits for the page after it.
 * Returns the response of the page the form landed on.
 */
export async function login(page, loginId, password = PASSWORD) {
  await visit(page, '/login');
  await page.locator('input#login').fill(loginId);
  await page.locator('input#password').fill(password);
  // Users without a second factor ignore the code.
  if (TOTP) await page.locator('input#otp').fill(totpCode());
  const [res] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'ログイン', exact: true }).click(),
  ]);
  return res;
}

/** Signs in and asserts that it worked (landed off /login, on a page with the logout button). */
export async function loginOk(page, loginId, password = PASSWORD) {
  const res = await login(page, loginId, password);
  assert.equal(res?.status(), 200, `login as ${loginId}: status ${res?.status()} at ${page.url()}`);
  assert.notEqual(new URL(page.url()).pathname, '/login', `login as ${loginId} stayed on /login`);
  await page.getByRole('button', { name: 'ログアウト' }).waitFor();
  return res;
}

/** Signs out through the header's POST form. */
export async function logout(page) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: 'ログアウト' }).click(),
  ]);
}

let axeSource;
async function axeScript() {
  axeSource ??= await readFile(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  return axeSource;
}

/** Runs axe-core on the current page and returns its violations (no assertion). */
export async function axeViolations(page, options = {}) {
  const injected = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!injected) await page.addScriptTag({ content: await axeScript() });
  return page.evaluate(async (opts) => {
    const r = await window.axe.run(document, { resultTypes: ['violations'], ...opts });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    }));
  }, options);
}

/** Formats axe violations for a failure message. */
export function formatViolations(violations) {
  return violations
    .map((v) =>
      [
        `- ${v.id} [${v.impact}] ${v.help}`,
        ...v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${n.html.slice(0, 160)}\n      ${(n.summary ?? '').replace(/\n/g, '\n      ')}`),
      ].join('\n'),
    )
    .join('\n');
}

/** Asserts that axe-core finds no violations on the current page; prints them when it does. */
export async function checkA11y(page, label = new URL(page.url()).pathname) {
  const violations = await axeViolations(page);
  if (violations.length > 0) {
    const text = formatViolations(violations);
    console.error(`axe-core: ${violations.length} violation(s) on ${label} (${page.url()}):\n${text}`);
    assert.fail(`axe-core found ${violations.length} accessibility violation(s) on ${label}:\n${text}`);
  }
}

/** Saves a full-page screenshot as e2e/test-results/NAME.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Text content of every element matching a selector, trimmed. */
export async function texts(page, selector) {
  return (await page.locator(selector).allTextContents()).map((t) => t.trim());
}
