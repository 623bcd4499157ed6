// Figures (W6): the 事業担当者 reads this 年度's statistics, opens the records behind a
// figure, is told in Japanese when a period is wrong (what was typed comes back), prints
// the annual report (two A4 pages) and the cost comparison (one page); the contractor
// prints its monthly report (one page); the system administrator sees the roll-up with
// small counts hidden. Every page is checked with axe-core, and no request may leave
// the server.

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

/** Pages of the PDF Chromium prints of the current page (A4, the page's own CSS). */
async function printedPages(page) {
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  return (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
}

describe(`yorube figures (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city: statistics of this 年度, the records behind a figure, a wrong period', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/reports');
      assert.equal(await h1(page), '実績・統計');
      assert.ok((await page.locator('.stats-table').count()) >= 10, 'the statistics have their tables');
      assert.ok((await page.locator('svg.stats-chart, .stats-figure svg').count()) > 0, 'with charts');
      await checkA11y(page, '/reports');
      await screenshot(page, 'reports');
      const drill = page.locator('.stats-table td.num a').first();
      const figure = (await drill.innerText()).replace(/,/g, '');
      await Promise.all([page.waitForNavigation(), drill.click()]);
      assert.match(new URL(page.url()).pathname, /^\/reports\/activity\/records$/);
      const rows = await page.locator('main table tbody tr').count();
      assert.equal(String(rows), figure, 'as many records as the figure says');
      await checkA11y(page, '/reports/activity/records');

      await visit(page, '/reports/activity?from=2026-09-30&to=2026-04-01');
      const alert = await page.locator('[role=alert]').innerText();
      assert.match(alert, /開始日|終了日/, alert);
      assert.equal(await page.locator('#from').inputValue(), '2026-09-30', 'what was typed comes back');
      await checkA11y(page, '/reports/activity (bad period)');
    });
  });

  test('tenant_admin@demo-city: the annual report prints on two A4 pages, the cost comparison on one', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/reports/annual');
      assert.match(await h1(page), /実績報告/);
      await checkA11y(page, '/reports/annual');
      await visit(page, '/reports/annual/print');
      assert.equal(await printedPages(page), 2, 'the annual report is two A4 pages');

      await visit(page, '/reports/cost');
      await checkA11y(page, '/reports/cost');
      const hours = await page.locator('main').innerText();
      assert.match(hours, /2,125/, 'the guide\'s example: 2,125 hours');
      await visit(page, '/reports/cost/compare');
      await checkA11y(page, '/reports/cost/compare');
      await visit(page, '/reports/cost/compare/print');
      assert.equal(await printedPages(page), 1, 'the comparison for the council is one A4 page');
    });
  });

  test('tenant_admin@demo-city: the indicators tied to figures, and the council view without names', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/reports');
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '指標の推移' }).click()]);
      assert.equal(await h1(page), '指標の推移');
      assert.ok((await page.locator('.indicator svg.stats-chart').count()) >= 2, 'the tied purposes have charts');
      await checkA11y(page, '/reports/indicators');
      await screenshot(page, 'indicators');
      await visit(page, '/reports/indicators/council');
      assert.match(await h1(page), /協議会用/);
      assert.match(await page.locator('main').innerText(), /<5人/, 'small groups are suppressed');
      await checkA11y(page, '/reports/indicators/council');
      assert.ok((await printedPages(page)) <= 3, 'the council view prints on at most three A4 pages');
    });
  });

  test('contractor@demo-city: the monthly report from the records, printed on one page', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'contractor@demo-city');
      await visit(page, '/contracts');
      const link = page.locator('main table tbody a').first();
      await Promise.all([page.waitForNavigation(), link.click()]);
      assert.match(await page.locator('main').innerText(), /年度の合計/);
      await checkA11y(page, '/contracts/{id}');
      await screenshot(page, 'contract-reports');
      const print = page.getByRole('link', { name: '印刷（A4）' }).first();
      await Promise.all([page.waitForNavigation(), print.click()]);
      assert.match(await h1(page), /^月次報告（\d{4}-\d{2}）$/);
      const body = await page.locator('main').innerText();
      assert.match(body, /子どもの変化/);
      assert.match(body, /委員会/, 'counts the committee meeting of the month');
      await checkA11y(page, '/contracts/{id}/reports/{id}/print');
      assert.equal(await printedPages(page), 1, 'the monthly report is one A4 page');
    });
  });

  test('sysadmin: the roll-up across tenants hides small counts', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'sysadmin');
      await visit(page, '/reports/rollup');
      assert.equal(await h1(page), '全体の実績');
      const cells = await page.locator('.rollup-table td').allInnerTexts();
      assert.ok(cells.length > 20, 'the tables have cells');
      for (const c of cells) {
        const n = Number(c.replace(/,/g, ''));
        if (!Number.isNaN(n)) assert.ok(n === 0 || n >= 5, `a count of 1–4 is never shown (${c})`);
      }
      await checkA11y(page, '/reports/rollup');
      await screenshot(page, 'rollup');
    });
  });
});
