// Optional services (努力義務事業): the 事業担当者 finds them in the menu, creates a service
// and an event (a bad event first), registers demo children from the event page, is
// refused with a Japanese message when the event is full (nothing saved), and sees the
// use on the child's record. The contractor sees only the services of its contract.
// Every page visited is checked with axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE_URL, DB, checkA11y as axeCheck, loginOk, openSession, screenshot, texts, visit } from '../lib.mjs';

const checked = new Set();
async function checkA11y(page, label) {
  await axeCheck(page, label);
  checked.add(label);
}

async function withSession(fn, opts) {
  const s = await openSession(opts);
  try {
    await fn(s.page, s);
    s.assertNoOutsideRequests();
  } finally {
    await s.close();
  }
}

const h1 = (page) => page.locator('h1').first().innerText();
const path = (page) => new URL(page.url()).pathname;
const notice = async (page) => (await page.locator('main > .notice--success[role=status]').innerText()).trim();
const navLabels = (page) => texts(page, 'nav[aria-label="メインメニュー"] a');

async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

/** YYYY-MM-DD, `days` from today in Japan. */
function jstDate(days) {
  const d = new Date(Date.now() + 9 * 3600 * 1000 + days * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const ADMIN = 'tenant_admin@demo-city';
const state = { serviceId: null, eventId: null, children: [] };

describe(`yorube optional services (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city: 努力義務事業 in the menu lists the demo services and upcoming events', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      const nav = await navLabels(page);
      assert.ok(nav.includes('努力義務事業'), `the admin's menu has 努力義務事業 (${nav})`);
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '努力義務事業' }));
      assert.equal(path(page), '/services');
      assert.equal(await h1(page), '努力義務事業');
      const names = await texts(page, 'section[aria-labelledby=list-h] table tbody tr td:first-child a');
      for (const n of ['きょうだい交流会', '就職支援セミナー「病気とはたらく」']) assert.ok(names.includes(n), `the demo has ${n} (${names})`);
      assert.ok(names.some((n) => n.includes('レスパイト')), `the demo has a レスパイト (${names})`);
      assert.ok((await page.locator('section[aria-labelledby=up-h] table tbody tr').count()) > 0, 'there are upcoming events');
      await checkA11y(page, '/services');
      await screenshot(page, 'services');
    });
  });

  test('tenant_admin@demo-city: creates a service and an event (a bad event is refused first)', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      // Two demo children to register later (the first names of the list).
      await visit(page, '/children');
      state.children = (await texts(page, 'table tbody tr td:first-child a')).slice(0, 3);
      assert.equal(state.children.length, 3, 'the demo has children');

      await visit(page, '/services');
      const name = `e2e きょうだい会 ${stamp}`;
      await page.locator('#kind').selectOption('exchange');
      await page.locator('#name').fill(name);
      await page.locator('#target').fill('きょうだい児と保護者');
      const res = await clickAndWait(page, page.getByRole('button', { name: '登録する', exact: true }));
      assert.equal(res.status(), 200);
      assert.match(path(page), /^\/services\/[^/]+$/, `landed on the service (${page.url()})`);
      state.serviceId = path(page).split('/').pop();
      assert.equal(await h1(page), name);
      assert.match(await notice(page), /事業を登録しました/);
      assert.match(await page.locator('dl.facts').innerText(), /相互交流支援[\s\S]*直営/);
      await checkA11y(page, '/services/{id}');

      // An impossible date and an end before the start: refused, nothing saved.
      await page.locator('#ev-title').fill(`第1回 ${stamp}`);
      await page.locator('#ev-date').fill('2026-13-40');
      await page.locator('#ev-place').fill('デモ市保健所 多目的室');
      await page.locator('#ev-start').fill('14:00');
      await page.locator('#ev-end').fill('13:00');
      await page.locator('#ev-cap').fill('2');
      const bad = await clickAndWait(page, page.getByRole('button', { name: '回を追加する' }));
      assert.equal(bad.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      assert.match(alert, /開催日は 2026-02-14 や 令和8年2月14日 の形で/);
      assert.match(alert, /終了時刻が開始時刻と同じか、それより前/);
      assert.equal(await page.locator('table tbody tr', { hasText: `第1回 ${stamp}` }).count(), 0, 'nothing saved');
      await checkA11y(page, '/services/{id} (error)');

      await page.locator('#ev-date').fill(jstDate(14));
      await page.locator('#ev-end').fill('16:00');
      const ok = await clickAndWait(page, page.getByRole('button', { name: '回を追加する' }));
      assert.equal(ok.status(), 200);
      assert.match(path(page), /^\/services\/events\/[^/]+$/, `landed on the event (${page.url()})`);
      state.eventId = path(page).split('/').pop();
      assert.match(await notice(page), /回（日程）を追加しました/);
      assert.match(await page.locator('dl.facts').innerText(), /2 人（登録 0 人・残り 2 人）/);
      await checkA11y(page, '/services/events/{id}');
    });
  });

  test('tenant_admin@demo-city: registers two children, the third is refused (定員), the record shows the use', async () => {
    assert.ok(state.eventId, 'the previous test created an event');
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      const register = async (childName) => {
        await visit(page, `/services/events/${state.eventId}`);
        await page.locator('#q').fill(childName);
        await clickAndWait(page, page.getByRole('button', { name: '探す' }));
        const form = page.locator('form', { has: page.locator('.form__title', { hasText: childName }) }).first();
        assert.equal(await form.count(), 1, `the search finds ${childName}`);
        assert.equal(await form.getByLabel('本人', { exact: true }).isChecked(), true, '本人 is ticked by default');
        return clickAndWait(page, form.getByRole('button', { name: '登録する' }));
      };
      const [a, b, c] = state.children;
      let res = await register(a);
      assert.equal(res.status(), 200);
      assert.equal(await notice(page), '参加者を登録しました。');
      await checkA11y(page, '/services/events/{id} (registered)');
      res = await register(b);
      assert.equal(res.status(), 200);
      const rows = page.locator('section[aria-labelledby=participants] table tbody tr');
      assert.equal(await rows.count(), 2);
      assert.match(await page.locator('dl.facts').innerText(), /満員/);

      await visit(page, `/services/events/${state.eventId}?q=${encodeURIComponent(c)}`);
      await checkA11y(page, '/services/events/{id}?q=');
      res = await register(c);
      assert.equal(res.status(), 409);
      assert.match(await page.getByRole('alert').innerText(), /定員（2人）に達しているため、登録できません/);
      assert.equal(await page.locator('section[aria-labelledby=participants] table tbody tr').count(), 2, 'nothing saved');
      await checkA11y(page, '/services/events/{id} (full)');
      await screenshot(page, 'service-event-full');

      // The child's record shows the use.
      await clickAndWait(page, page.locator('section[aria-labelledby=participants] table tbody tr td:first-child a', { hasText: a }).first());
      assert.match(path(page), /^\/children\/[^/]+$/);
      assert.equal(await page.getByRole('heading', { name: '努力義務事業の利用', level: 2 }).count(), 1);
      const use = page.locator('#services ~ .table-wrap tbody tr', { hasText: `第1回 ${stamp}` });
      assert.equal(await use.count(), 1, 'the record lists the event');
      assert.match(await use.innerText(), /本人[\s\S]*予約/);
      await checkA11y(page, '/children/{id} (services)');
    });
  });

  test('contractor@demo-city: sees only the services of its contract', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'contractor@demo-city');
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '努力義務事業' }));
      assert.equal(path(page), '/services');
      const runBy = await texts(page, 'section[aria-labelledby=list-h] table tbody tr td:nth-child(3)');
      assert.ok(runBy.length > 0, 'the NPO runs a service');
      assert.ok(runBy.every((r) => r.startsWith('委託')), `only contracted services (${runBy})`);
      await checkA11y(page, '/services (contractor)');
      const res = await visit(page, `/services/${state.serviceId}`);
      assert.equal(res.status(), 404, 'a service run by the municipality is not found');
    });
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = [
      '/services',
      '/services/{id}',
      '/services/{id} (error)',
      '/services/events/{id}',
      '/services/events/{id} (registered)',
      '/services/events/{id}?q=',
      '/services/events/{id} (full)',
      '/children/{id} (services)',
      '/services (contractor)',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
