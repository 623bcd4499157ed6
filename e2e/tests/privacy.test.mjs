// 個人情報の管理 (W8 item 6): the 事業担当者 finds a child, reads everything held about
// them for a disclosure request and prints it on A4 pages; a retention out of range is
// refused in Japanese with what was typed kept; the erasure page refuses a name that
// does not match. Nothing is deleted or closed here (the other suites use the demo).
// Every page is checked with axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DB, BASE_URL, checkA11y, loginOk, openSession, screenshot, visit } from '../lib.mjs';

async function withSession(fn) {
  const s = await openSession();
  try {
    await fn(s.page, s);
    s.assertNoOutsideRequests();
  } finally {
    await s.close();
  }
}

const h1 = (page) => page.locator('h1').first().innerText();

/** The PDF Chromium prints of the current page (A4, the page's own CSS). */
async function printed(page) {
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const text = pdf.toString('latin1');
  const boxes = [...text.matchAll(/\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => [Number(m[1]), Number(m[2])]);
  return { pages: (text.match(/\/Type\s*\/Page[^s]/g) ?? []).length, boxes };
}

describe(`yorube 個人情報の管理 (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city: a disclosure request answered on screen and on A4', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/');
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '個人情報の管理' }).click()]);
      assert.equal(await h1(page), '個人情報の管理');
      await checkA11y(page, '/privacy');
      await page.locator('#q').fill('さ');
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '検索' }).click()]);
      const link = page.locator('main table tbody a').first();
      const name = (await link.innerText()).trim();
      await checkA11y(page, '/privacy?q=');
      await Promise.all([page.waitForNavigation(), link.click()]);
      assert.match(new URL(page.url()).pathname, /^\/privacy\/children\/[^/]+$/);
      assert.equal(await h1(page), `${name} さんについて保有している記録`);
      const main = await page.locator('main').innerText();
      for (const s of ['基本情報', '情報共有の同意', '紹介（つなぐ支援）と共有先', '相談支援の記録', '記録の閲覧・変更の履歴（監査ログ）']) {
        assert.ok(main.includes(s), `the document has ${s}`);
      }
      await checkA11y(page, '/privacy/children/{id}');
      await screenshot(page, 'privacy-child');

      const path = new URL(page.url()).pathname;
      await visit(page, `${path}/print`);
      assert.equal(await h1(page), '保有個人情報の開示（写し）');
      await checkA11y(page, '/privacy/children/{id}/print');
      const pdf = await printed(page);
      assert.ok(pdf.pages >= 1 && pdf.pages <= 20, `printed on ${pdf.pages} A4 pages`);
      assert.ok(pdf.boxes.length > 0 && pdf.boxes.every(([w, h]) => Math.abs(w - 595) < 2 && Math.abs(h - 842) < 2), `A4 portrait: ${JSON.stringify(pdf.boxes.slice(0, 2))}`);
      console.log(`disclosure of one demo child: ${pdf.pages} A4 pages`);

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.evaluate((href) => { const a = document.createElement('a'); a.href = href; a.click(); }, `${path}/export.json`),
      ]);
      assert.match(download.suggestedFilename(), /^disclosure-\d{8}-[0-9a-f]+\.json$/);

      await visit(page, `${path}/erase`);
      assert.match(await h1(page), /記録の削除/);
      await checkA11y(page, '/privacy/children/{id}/erase');
      await page.locator('#reason').fill('削除の請求（受付番号 1）');
      await page.locator('#confirm_name').fill('ちがう なまえ');
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '記録を削除する' }).click()]);
      const alert = await page.locator('[role=alert]').innerText();
      assert.match(alert, /一致しません/, alert);
      assert.equal(await page.locator('#confirm_name').inputValue(), 'ちがう なまえ', 'what was typed comes back');
      await checkA11y(page, '/privacy/children/{id}/erase (wrong name)');
    });
  });

  test('tenant_admin@demo-city: a retention out of range is refused, with what was typed', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/settings/retention');
      assert.equal(await h1(page), '終結ケースの保存期間');
      await checkA11y(page, '/settings/retention');
      await page.locator('#retention_years').fill('40');
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '保存する' }).click()]);
      const alert = await page.locator('[role=alert]').innerText();
      assert.match(alert, /1 年から 30 年/, alert);
      assert.equal(await page.locator('#retention_years').inputValue(), '40');
      await checkA11y(page, '/settings/retention (40)');
    });
  });

  test('nurse@demo-city: no menu entry, and the pages are refused', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      const nav = (await page.locator('nav[aria-label="メインメニュー"] a').allTextContents()).map((t) => t.trim());
      assert.ok(!nav.includes('個人情報の管理'), `${nav}`);
      const res = await visit(page, '/privacy');
      assert.equal(res.status(), 403);
    });
  });
});
