// The training's pre/post questionnaire (研修会の事前・事後アンケート): a 事業担当者 plans a
// training and opens its pre and post surveys from the training page; an anonymous browser
// (no account, a fresh profile) answers both through the public links, including a refused
// answer that keeps what was typed; the staff see the aggregate (tables and SVG charts) and
// close the pre survey, after which its link shows the "not accepting answers" page. The
// demo training's results follow the guide (29.2% → 0%). Every page visited, the public
// ones included, is checked with axe-core, and no request may leave the server.

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

async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const ADMIN = 'tenant_admin@demo-city';
const state = { trainingId: null, pre: null, post: null };

describe(`yorube training survey (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city plans a training and opens its pre and post surveys', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/trainings?new=1');
      await page.locator('#title').fill(`e2e アンケート研修会 ${stamp}`);
      await page.locator('#date').fill('2026-02-20');
      await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.match(path(page), /^\/trainings\/[^/]+$/);
      state.trainingId = path(page).split('/').pop();
      const box = page.locator('section[aria-labelledby=survey-h]');
      assert.match(await box.innerText(), /事前アンケート\s*未開始/);
      await checkA11y(page, '/trainings/{id} (survey not started)');

      await clickAndWait(page, box.getByRole('button', { name: '事前アンケートの受付を始める' }));
      assert.equal(path(page), `/trainings/${state.trainingId}/survey`);
      assert.equal(await notice(page), '受付を始めました。回答用のリンクを参加者に配ってください。');
      assert.match(await page.locator('section[aria-labelledby=phase-pre] h2').innerText(), /受付中/);
      state.pre = new URL(await page.locator('#url-pre').inputValue()).pathname;
      assert.match(state.pre, /^\/s\/[0-9a-hjkmnp-tv-z]{5}(-[0-9a-hjkmnp-tv-z]{5}){4}$/);
      const preview = await texts(page, 'ol.survey-preview li');
      assert.ok(preview.some((q) => q.includes('ハードルを感じていますか')), `the default questions are listed (${preview.slice(0, 3)})`);
      await checkA11y(page, '/trainings/{id}/survey');

      await clickAndWait(page, page.getByRole('button', { name: '事後アンケートの受付を始める' }));
      state.post = new URL(await page.locator('#url-post').inputValue()).pathname;
      assert.notEqual(state.post, state.pre);

      // The training page now shows both links.
      await visit(page, `/trainings/${state.trainingId}`);
      const urls = await texts(page, 'section[aria-labelledby=survey-h] .survey-url');
      assert.equal(urls.length, 2);
      assert.ok(urls[0].endsWith(state.pre) && urls[1].endsWith(state.post), `${urls}`);
      await checkA11y(page, '/trainings/{id} (survey open)');

      await visit(page, `/trainings/${state.trainingId}/survey/pre/handout`);
      assert.equal(await h1(page), '事前アンケートへのご協力のお願い');
      assert.ok((await page.locator('.handout__url').innerText()).endsWith(state.pre));
      await checkA11y(page, '/trainings/{id}/survey/pre/handout');
    });
  });

  test('an anonymous browser answers the pre survey (a refused answer keeps what was typed) and the post survey', async () => {
    assert.ok(state.pre && state.post, 'the previous test opened both surveys');
    await withSession(async (page) => {
      const res = await visit(page, state.pre);
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), '事前アンケート');
      assert.equal(await page.getByRole('button', { name: 'ログアウト' }).count(), 0, 'no account, no user bar');
      assert.equal(await page.locator('fieldset.survey-q').count(), 3, 'three questions before the training');
      await checkA11y(page, '/s/{token} (pre)');

      // Server-side checks: without the browser's own "required" check, a missing answer is refused.
      await page.locator('#field').selectOption('教育');
      await page.locator('#q_hurdle-1').check();
      await page.evaluate(() => document.querySelectorAll('[required]').forEach((e) => e.removeAttribute('required')));
      const bad = await clickAndWait(page, page.getByRole('button', { name: '回答を送信する' }));
      assert.equal(bad.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      assert.match(alert, /回答はまだ送信されていません/);
      assert.match(alert, /問2「関係機関の役割分担の理解」を選んでください/);
      assert.equal(await page.locator('#q_hurdle-1').isChecked(), true, 'what was chosen stays');
      assert.equal(await page.locator('#field').inputValue(), '教育');
      await checkA11y(page, '/s/{token} (pre, refused)');

      await page.locator('#q_roles-3').check();
      await page.locator('#q_image-4').check();
      const ok = await clickAndWait(page, page.getByRole('button', { name: '回答を送信する' }));
      assert.equal(ok.status(), 200);
      assert.equal(path(page), `${state.pre}/thanks`);
      assert.equal(await h1(page), 'ご回答ありがとうございました');
      await checkA11y(page, '/s/{token}/thanks');

      await visit(page, state.post);
      assert.equal(await h1(page), '事後アンケート');
      assert.equal(await page.locator('fieldset.survey-q').count(), 7);
      await checkA11y(page, '/s/{token} (post)');
      await page.locator('#q_hurdle-4').check();
      await page.locator('#q_roles-1').check();
      await page.locator('#q_image-2').check();
      await page.locator('#q_knowledge-1').check();
      await page.locator('#q_network-2').check();
      await page.getByLabel('困りごとの内容に応じて、相談先の候補をイメージできる').check();
      await page.getByLabel('実際に連絡する場面が想定できる').check();
      await page.locator('#q_next_other').fill(`校内研修で共有したい ${stamp}`);
      await page.locator('#q_comment').fill(`事例がわかりやすかった ${stamp}`);
      await clickAndWait(page, page.getByRole('button', { name: '回答を送信する' }));
      assert.equal(path(page), `${state.post}/thanks`);
      await screenshot(page, 'survey-thanks');
    });
  });

  test('tenant_admin@demo-city sees the aggregate, then closes the pre survey; its link then answers nothing', async () => {
    assert.ok(state.trainingId && state.pre, 'the earlier tests ran');
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, `/trainings/${state.trainingId}/survey/results`);
      assert.equal(await h1(page), `研修会アンケートの結果 e2e アンケート研修会 ${stamp}`);
      const first = page.locator('table.headline-table tbody tr').first();
      const cells = await first.locator('td').allInnerTexts();
      assert.match(cells[0], /^100\.0%（1\/1人）/, `pre: ${cells}`);
      assert.match(cells[1], /^0\.0%（0\/1人）/, `post: ${cells}`);
      assert.ok((await page.locator('svg.survey-chart').count()) >= 5, 'bar charts are drawn');
      const main = await page.locator('main').innerText();
      assert.ok(main.includes(`校内研修で共有したい ${stamp}`), 'the その他 text is listed');
      assert.ok(main.includes(`事例がわかりやすかった ${stamp}`), 'the comment is listed');
      await checkA11y(page, '/trainings/{id}/survey/results');
      await screenshot(page, 'survey-results');

      const downloaded = page.waitForEvent('download');
      await page.getByRole('link', { name: '回答と集計を Excel で書き出す' }).click();
      const d = await downloaded;
      assert.match(d.suggestedFilename(), /アンケート回答\.xlsx$/);
      assert.equal(await d.failure(), null);

      await visit(page, `/trainings/${state.trainingId}/survey`);
      await clickAndWait(page, page.getByRole('button', { name: '事前アンケートを締め切る' }));
      assert.equal(await notice(page), '受付を締め切りました。このリンクからはもう回答できません。');
      assert.match(await page.locator('section[aria-labelledby=phase-pre] h2').innerText(), /締め切り/);
    });
    await withSession(async (page) => {
      const res = await visit(page, state.pre);
      assert.equal(res.status(), 404);
      assert.equal(await h1(page), 'このアンケートには回答できません');
      assert.equal(await page.locator('form').count(), 0);
      await checkA11y(page, '/s/{token} (closed)');
    });
  });

  test('the demo training’s results follow the guide (ハードル 29.2% → 0%)', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/trainings');
      await clickAndWait(page, page.getByRole('link', { name: '関係機関向け研修会（小慢児童等の地域連携）' }));
      await clickAndWait(page, page.getByRole('link', { name: 'アンケートの集計結果' }));
      assert.match(path(page), /\/survey\/results$/);
      const rows = await texts(page, 'table.headline-table tbody tr');
      assert.match(rows[0], /29\.2%（7\/24人）.*0\.0%（0\/24人）/s, `${rows[0]}`);
      assert.match(rows[1], /58\.3%.*4\.2%/s);
      assert.match(rows[2], /79\.2%.*20\.8%/s);
      await checkA11y(page, '/trainings/{demo}/survey/results');
    });
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = [
      '/trainings/{id} (survey not started)',
      '/trainings/{id}/survey',
      '/trainings/{id} (survey open)',
      '/trainings/{id}/survey/pre/handout',
      '/s/{token} (pre)',
      '/s/{token} (pre, refused)',
      '/s/{token}/thanks',
      '/s/{token} (post)',
      '/trainings/{id}/survey/results',
      '/s/{token} (closed)',
      '/trainings/{demo}/survey/results',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core');
  });
});
