// The survey engine (W5): a 事業担当者 builds a needs survey from the families' template,
// adds a question and moves it, previews it and opens it; a family answers on a phone
// (390 px wide, no account): a condition shows a follow-up question only when it applies,
// a refused answer keeps everything typed, and the same form sent twice is one answer;
// the staff key in a paper answer, see the results with a cross-tabulation, and print the
// handout with its QR code on one A4 page. The demo's needs survey (300 answers) is shown
// too. Every page is checked with axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_URL, DB, checkA11y as axeCheck, loginOk, openSession, screenshot, visit } from '../lib.mjs';

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

async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const ADMIN = 'tenant_admin@demo-city';
const state = { id: null, link: null };

describe(`yorube surveys (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city builds a needs survey from the template, adds and moves a question, and opens it', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/surveys');
      assert.equal(await h1(page), '調査・アンケート');
      await checkA11y(page, '/surveys');
      await page.locator('#title').fill(`e2e 実態把握調査 ${stamp}`);
      await page.locator('#contact').fill('デモ市保健所 保健予防課　電話 000-123-4567');
      await page.locator('#template').selectOption('needs');
      await clickAndWait(page, page.getByRole('button', { name: '作る' }));
      assert.match(path(page), /^\/surveys\/[^/]+$/);
      state.id = path(page).split('/').pop();
      assert.match(await page.locator('main').innerText(), /調査を作りました/);
      assert.match(await page.locator('.facts').first().innerText(), /準備中/);
      await checkA11y(page, '/surveys/{id}');

      await visit(page, `/surveys/${state.id}/questions`);
      const before = await page.locator('ol.builder > li').count();
      assert.ok(before >= 25, `the template has its questions (${before})`);
      await checkA11y(page, '/surveys/{id}/questions');
      // Add a question to the last section, then move it up once.
      await page.locator('#section').selectOption({ label: '使いたい支援' });
      await page.locator('#kind').selectOption('single');
      await page.locator('#text').fill(`送迎の支援を使いたいですか ${stamp}`);
      await page.locator('#options').fill('使いたい\n使わない');
      await page.locator('#key').fill('need_ride');
      await clickAndWait(page, page.getByRole('button', { name: '質問を足す' }));
      assert.equal(await page.locator('ol.builder > li').count(), before + 1);
      const last = page.locator('ol.builder > li').last();
      assert.match(await last.innerText(), new RegExp(`送迎の支援を使いたいですか ${stamp}`));
      await clickAndWait(page, last.getByRole('button', { name: /上へ/ }));
      const items = await page.locator('ol.builder > li').allInnerTexts();
      assert.match(items[items.length - 2], /送迎の支援/, 'moved above the free-text question');
      // A bad question is refused with what was typed kept.
      await page.locator('#kind').selectOption('single');
      await page.locator('#text').fill('選択肢が一つだけの質問');
      await page.locator('#options').fill('はい');
      const bad = await clickAndWait(page, page.getByRole('button', { name: '質問を足す' }));
      assert.equal(bad.status(), 422);
      assert.match(await page.getByRole('alert').innerText(), /選択肢を二つ以上入れてください/);
      assert.equal(await page.locator('#text').inputValue(), '選択肢が一つだけの質問');
      await checkA11y(page, '/surveys/{id}/questions (refused)');

      await visit(page, `/surveys/${state.id}/preview`);
      assert.match(await page.getByRole('status').first().innerText(), /プレビュー/);
      assert.equal(await page.getByRole('button', { name: '回答を送る' }).count(), 0);
      await checkA11y(page, '/surveys/{id}/preview');

      await visit(page, `/surveys/${state.id}`);
      await clickAndWait(page, page.getByRole('button', { name: '受付を始める' }));
      assert.match(await page.locator('.facts').first().innerText(), /受付中/);
      state.link = new URL((await page.locator('.handout__url').innerText()).trim()).pathname;
      assert.match(state.link, /^\/s\/[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$/);
      assert.equal(await page.locator('.survey-qr svg').count(), 1, 'the QR code is drawn');
      await checkA11y(page, '/surveys/{id} (open)');
    });
  });

  test('a family answers on a phone: conditions, a refusal that keeps what was typed, and one answer for two sends', async () => {
    assert.ok(state.link, 'the previous test opened the survey');
    await withSession(async (page) => {
      const res = await visit(page, state.link);
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), `e2e 実態把握調査 ${stamp}`);
      assert.equal(await page.getByRole('button', { name: 'ログアウト' }).count(), 0, 'no account');
      const kinds = page.locator('[data-when="q_medical_care"]').first();
      assert.equal(await kinds.isVisible(), false, 'the follow-up on 医療的ケア is hidden until it applies');
      await page.locator('#q_medical_care-yes').check();
      assert.equal(await kinds.isVisible(), true, 'and shown once it does');
      await checkA11y(page, '/s/{token} (phone)');
      await screenshot(page, 'survey-phone');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no sideways scrolling on a phone (${width}px)`);

      // Required questions left out, and a number out of range: refused, all kept.
      await page.locator('#q_disease_group-4').check();
      await page.locator('#q_medical_care_kinds-1').check();
      await page.locator('#q_visits').fill('40');
      await page.locator('#q_wish').fill(`<b>学校</b>に伝えたいこと ${stamp}`);
      const bad = await clickAndWait(page, page.getByRole('button', { name: '回答を送る' }));
      assert.equal(bad.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      assert.match(alert, /まだ送信されていません/);
      assert.match(await page.locator('#q_visits-err').innerText(), /0 から 31 までの数/);
      assert.match(await page.locator('#q_age_band-err').innerText(), /問2「お子さんは、いま何歳ですか。」に答えてください/);
      assert.equal(await page.locator('#q_disease_group-4').isChecked(), true);
      assert.equal(await page.locator('#q_medical_care_kinds-1').isChecked(), true);
      assert.equal(await page.locator('#q_visits').inputValue(), '40');
      assert.equal(await page.locator('#q_wish').inputValue(), `<b>学校</b>に伝えたいこと ${stamp}`);
      await checkA11y(page, '/s/{token} (refused)');

      await page.locator('#q_age_band-6_11').check();
      await page.locator('#q_visits').fill('３');
      await page.locator('#q_consult-some').check();
      await page.locator('#q_caregiver_burden-5').check();
      await page.locator('#q_need_ride-1').check();
      // Send the same form twice (as the back button and a second press would).
      const form = await page.evaluate(() => new URLSearchParams(new FormData(document.getElementById('survey-form'))).toString());
      const ok = await clickAndWait(page, page.getByRole('button', { name: '回答を送る' }));
      assert.equal(ok.status(), 200);
      assert.equal(path(page), `${state.link}/thanks`);
      assert.equal(await h1(page), 'ありがとうございました');
      await checkA11y(page, '/s/{token}/thanks');
      const again = await page.request.post(`${BASE_URL}${state.link}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: form, maxRedirects: 0,
      });
      assert.equal(again.status(), 303, 'the second send is accepted…');
    }, { viewport: { width: 390, height: 844 } });
  });

  test('staff key in a paper answer, see results with a cross-tabulation, and print the handout on one A4 page', async () => {
    assert.ok(state.id, 'the first test made the survey');
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, `/surveys/${state.id}/paper`);
      await checkA11y(page, '/surveys/{id}/paper');
      await page.locator('#q_disease_group-11').check();
      await page.locator('#q_age_band-15_17').check();
      await page.locator('#q_medical_care-no').check();
      await page.locator('#q_consult-no').check();
      await page.locator('#q_caregiver_burden-3').check();
      await clickAndWait(page, page.getByRole('button', { name: '保存して次の用紙へ' }));
      assert.match(await page.getByRole('status').first().innerText(), /1 件保存しました（回答は全部で 2 件）/);
      assert.equal(await page.locator('#q_disease_group-11').isChecked(), false, 'a fresh form for the next sheet');

      await visit(page, `/surveys/${state.id}/results?by=medical_care`);
      const facts = await page.locator('.facts').first().innerText();
      assert.match(facts, /2 件/, '…and counted once: one web answer and one paper answer');
      const burden = page.locator('section[aria-labelledby=r-caregiver_burden]');
      assert.match(await burden.locator('table').first().innerText(), /とても大きい\s+1\s+50\.0%/);
      assert.ok(await burden.locator('table.cross-table').count() === 1, 'cross-tabulated by 医療的ケア');
      assert.ok(await page.locator('svg.survey-chart').count() >= 10, 'bar charts are drawn');
      assert.match(await page.locator('main').innerText(), new RegExp(`<b>学校</b>に伝えたいこと ${stamp}`), 'markup shown as text');
      await checkA11y(page, '/surveys/{id}/results (cross)');
      const downloaded = page.waitForEvent('download');
      await page.getByRole('link', { name: '集計と回答を Excel で' }).click();
      assert.match((await downloaded).suggestedFilename(), /_結果\.xlsx$/);

      await visit(page, `/surveys/${state.id}/handout`);
      assert.match(await page.locator('.handout__from').innerText(), /デモ市/);
      assert.match(await page.locator('.handout__contact').innerText(), /電話 000-123-4567/);
      assert.equal(await page.locator('.handout .survey-qr svg').count(), 1);
      await checkA11y(page, '/surveys/{id}/handout');
      const pdf = await page.pdf({ format: 'A4', printBackground: true });
      const dir = await mkdtemp(join(tmpdir(), 'yorube-pdf-'));
      try {
        await writeFile(join(dir, 'h.pdf'), pdf);
        const info = execFileSync('pdfinfo', [join(dir, 'h.pdf')]).toString();
        assert.match(info, /Pages:\s+1\n/, `the handout is one A4 page:\n${info}`);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  test('the demo’s needs survey: 300 answers, a response rate and its invitation codes', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/surveys');
      await clickAndWait(page, page.getByRole('link', { name: /実態把握調査（ご家族向け）/ }).first());
      await clickAndWait(page, page.getByRole('link', { name: /結果を見る（300 件）/ }));
      assert.match(await page.locator('.facts').first().innerText(), /回答率 65\.7%/);
      await checkA11y(page, '/surveys/{demo}/results');
      await screenshot(page, 'survey-demo-results');
      await visit(page, `${path(page).replace(/\/results$/, '')}/invitations`);
      assert.equal(await page.locator('tbody tr').count(), 420);
      await checkA11y(page, '/surveys/{demo}/invitations');
    });
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = [
      '/surveys', '/surveys/{id}', '/surveys/{id}/questions', '/surveys/{id}/questions (refused)',
      '/surveys/{id}/preview', '/surveys/{id} (open)', '/s/{token} (phone)', '/s/{token} (refused)',
      '/s/{token}/thanks', '/surveys/{id}/paper', '/surveys/{id}/results (cross)', '/surveys/{id}/handout',
      '/surveys/{demo}/results', '/surveys/{demo}/invitations',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core');
  });
});
