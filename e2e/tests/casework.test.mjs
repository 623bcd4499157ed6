// Casework (domain workflows 5 and 6): follow-ups at certificate renewal, the child's
// record, quick consultation entry by keyboard, consent, closed-loop referral seen from
// both sides, versioned support plans and their print view, the ecomap (頼れる人マップ),
// handover, and privacy between tenants and roles. Every page visited is checked with
// axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import pathLib from 'node:path';
import { describe, test } from 'node:test';
import {
  BASE_URL,
  DB,
  RESULTS_DIR,
  checkA11y as axeCheck,
  loginOk,
  openSession,
  screenshot,
  texts,
  url,
  visit,
} from '../lib.mjs';

// Which pages axe-core has passed; the last test checks that none was missed.
const checked = new Set();
async function checkA11y(page, label) {
  await axeCheck(page, label);
  checked.add(label);
}

/** Runs fn with a fresh browser session; asserts no outside request, always closes. */
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

/** Clicks something that submits or navigates, and waits for the next page. */
async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

/** Presses Tab until the focused element satisfies `is` (checked in the page), at most `max` times. */
async function tabUntil(page, is, arg, what, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(is, arg)) return i + 1;
  }
  assert.fail(`Tab never reached ${what}`);
}
const focusIs = (id) => document.activeElement?.id === id;

/** Picks the option of a select whose label contains `part`; returns its label. */
async function selectContaining(select, part) {
  const opts = await select.locator('option').evaluateAll((os) => os.map((o) => ({ v: o.value, l: o.textContent.trim() })));
  const o = opts.find((x) => x.l.includes(part));
  assert.ok(o, `an option containing 「${part}」 (${opts.map((x) => x.l).join(' / ').slice(0, 300)})`);
  await select.selectOption(o.v);
  return o.l;
}

/** The number in 「N 人」 of the children list. */
async function childCount(page) {
  const t = await page.locator('p.result-count').innerText();
  const m = t.match(/(\d+)\s*人/);
  assert.ok(m, `result count: ${t}`);
  return Number(m[1]);
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const KANA = 'あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ';
const pick = (n) => Array.from({ length: n }, () => KANA[Math.floor(Math.random() * KANA.length)]).join('');
const given = pick(3);

// Shared between tests: the child registered through /children/new.
const child = {
  name: `試験 ${given}`,
  reading: `しけん ${given}`,
  birthTyped: '平成30年4月10日',
  birthIso: '2018-04-10',
  disease: 'ネフローゼ症候群',
  certificate: `E2E${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
  medicalCare: `夜間の腹膜透析（${stamp}）`,
  mother: `試験 ${pick(2)}子`,
  motherPhone: '000-1111-2222',
  id: null,
  referralId: null,
};
const consultNote = `更新手続きの来所時に面談。学校の宿泊行事について相談（${stamp}）`;
// (No full-width brackets: the app folds short fields such as 目的 with NFKC.)
const purpose = `主治医と学校生活の調整 ${stamp}`;

describe(`yorube casework (${DB} at ${BASE_URL})`, () => {
  test('nurse@demo-city: follow-ups due (incl. 受給者証の更新), the children list and a record page', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: 'フォローアップ' }));
      assert.equal(path(page), '/follow-ups');
      assert.equal(await h1(page), 'フォローアップ');
      assert.match(await page.locator('p.result-count').innerText(), /\d+ 件（うち期限切れ \d+ 件）/);
      const kinds = await texts(page, 'table tbody tr td:nth-child(3)');
      assert.ok(kinds.length > 0, 'there are due items');
      assert.ok(kinds.includes('受給者証の更新'), `受給者証の更新 is among the due items (${[...new Set(kinds)].join(', ')})`);
      const dates = await texts(page, 'table tbody tr td:first-child');
      assert.ok(dates.every((d) => /^(令和|平成)\S+年\d+月\d+日/.test(d)), 'due dates are in 和暦');
      await checkA11y(page, '/follow-ups');
      await screenshot(page, 'follow-ups');

      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '子ども・家族' }));
      assert.equal(path(page), '/children');
      const n = await childCount(page);
      assert.ok(n >= 30, `the demo has about 42 children (${n})`);
      assert.equal(await page.locator('table tbody tr').count(), Math.min(n, 200));
      await checkA11y(page, '/children');
      await screenshot(page, 'children');

      const first = page.locator('table tbody tr td:first-child a').first();
      const name = (await first.innerText()).trim();
      await clickAndWait(page, first);
      assert.match(path(page), /^\/children\/[^/]+$/);
      assert.match(await h1(page), new RegExp(`^${name}`));
      for (const h of ['基本情報', 'これまでの経過', '予定とフォローアップ']) {
        assert.equal(await page.getByRole('heading', { name: h, level: 2 }).count(), 1, `the record page has ${h}`);
      }
      assert.ok((await page.locator('ol.timeline > li').count()) > 0, 'a demo child has a year of history in the timeline');
      assert.match(await page.locator('dl.facts').first().innerText(), /生年月日[\s\S]*(令和|平成)/);
      await checkA11y(page, '/children/{id} (demo child)');
    });
  });

  test('nurse@demo-city registers a child at /children/new: errors first, then 「登録しました。」', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, '/children');
      await clickAndWait(page, page.getByRole('link', { name: '子どもを登録' }));
      assert.equal(path(page), '/children/new');
      assert.equal(await h1(page), '子どもの登録');
      await checkA11y(page, '/children/new');

      await page.locator('#name').fill(child.name);
      await page.locator('#reading').fill(child.reading);
      await page.locator('#birth_date').fill('令和20年1月1日'); // in the future
      await page.getByLabel('性別').selectOption({ label: '女' });
      await page.getByLabel('疾患群').selectOption({ label: '2 慢性腎疾患' });
      await page.getByLabel('疾患名').fill(child.disease);
      await page.getByLabel('受給者証番号').fill('受給者１２'); // not half-width alphanumerics
      await page.getByLabel('医療的ケア・配慮が必要なこと').fill(child.medicalCare);
      await page.locator('#family_relation_0').fill('母');
      await page.locator('#family_name_0').fill(child.mother);
      await page.locator('#family_phone_0').fill(child.motherPhone);
      await page.locator('#family_guardian_0').check();
      const bad = await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.equal(bad.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      assert.match(alert, /生年月日が未来の日付になっています/);
      assert.match(alert, /受給者証番号は半角の英数字/);
      assert.equal(await page.locator('#name').inputValue(), child.name, 'values are kept');
      assert.equal(await page.locator('#family_name_0').inputValue(), child.mother);
      assert.equal(await page.locator('#family_guardian_0').isChecked(), true);
      assert.equal(await page.getByLabel('疾患群').inputValue(), '2');
      await checkA11y(page, '/children/new (errors)');
      await screenshot(page, 'child-new-errors');

      await page.locator('#birth_date').fill(child.birthTyped);
      await page.getByLabel('受給者証番号').fill(child.certificate);
      const ok = await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.equal(ok.status(), 200);
      assert.match(path(page), /^\/children\/[^/]+$/, `landed on the record page (${page.url()})`);
      child.id = path(page).split('/').pop();
      assert.equal(await notice(page), '登録しました。');
      assert.match(await h1(page), new RegExp(`^${child.name}`));
      const facts = await page.locator('dl.facts').first().innerText();
      assert.match(facts, /平成30年4月10日（2018-04-10）/, `the birth date is read from 和暦 (${facts})`);
      assert.match(facts, /慢性腎疾患／ネフローゼ症候群/);
      assert.match(facts, new RegExp(`母 ${child.mother}（保護者）`));
      assert.match(facts, new RegExp(child.certificate));
      assert.match(facts, /高橋 美穂（保健師・主担当）/, 'the registering nurse is the primary worker');
    });
  });

  test('nurse@demo-city records a consultation with the keyboard only', async () => {
    assert.ok(child.id, 'the child of the previous test was registered');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/children/${child.id}`);
      const started = Date.now();
      // Start where the form's choices begin; from here on only the keyboard is used.
      await page.focus('#q-method');
      assert.equal(await page.locator('#q-method').inputValue(), '電話', '電話 is preselected');
      await page.keyboard.press('ArrowUp'); // 電話 → 訪問
      assert.equal(await page.locator('#q-method').inputValue(), '訪問', 'the arrow key chose 訪問');
      await page.keyboard.press('ArrowUp'); // 訪問 → 来所面接
      assert.equal(await page.locator('#q-method').inputValue(), '来所面接');
      const participant = (label) => `q-p-${['本人', '保護者', 'きょうだい', '関係機関', 'その他'].indexOf(label) + 1}`;
      await tabUntil(page, focusIs, participant('保護者'), '参加者 保護者');
      await page.keyboard.press('Space');
      await tabUntil(page, focusIs, 'q-t-1', '話題 学校');
      assert.equal(await page.locator('label[for="q-t-1"]').innerText(), '学校');
      await page.keyboard.press('Space');
      await tabUntil(page, focusIs, 'q-notes', '内容');
      await page.keyboard.type(consultNote);
      await tabUntil(
        page,
        () => document.activeElement?.tagName === 'BUTTON' && document.activeElement.closest('form')?.action.endsWith('/consultations'),
        null,
        'the 記録する button',
      );
      assert.equal((await page.evaluate(() => document.activeElement.textContent)).trim(), '記録する');
      assert.equal(await page.locator(`#${participant('保護者')}`).isChecked(), true);
      assert.equal(await page.locator('#q-t-1').isChecked(), true);
      assert.equal(await page.locator(`#${participant('本人')}`).isChecked(), false);
      const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
      const item = page.locator('ol.timeline > li').filter({ hasText: stamp });
      await item.first().waitFor();
      const elapsed = Date.now() - started;
      console.log(`keyboard-only consultation entry took ${elapsed} ms in the browser (focus → timeline shows the note)`);
      assert.equal(res.status(), 200);
      assert.equal(await notice(page), '相談を記録しました。');
      assert.equal(new URL(page.url()).hash, '#timeline');
      const text = await item.first().innerText();
      assert.ok(text.includes(consultNote), `the timeline shows the note (${text})`);
      assert.match(text, /相談/);
      assert.match(text, /来所面接/, `the method is recorded (${text})`);
    });
  });

  test('nurse@demo-city records consent, refers to the hospital (送付済), and an unconsented item is refused', async () => {
    assert.ok(child.id, 'the child was registered');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/children/${child.id}`);
      const consent = page.locator('form[action$="/consents"]');
      const agencyLabel = await selectContaining(consent.getByLabel('関係機関'), 'こども病院');
      await consent.getByLabel('目的').fill(purpose);
      await consent.getByLabel('同意した人').fill('母');
      await consent.getByLabel('氏名・生年月日・連絡先').check();
      await consent.getByLabel('疾患群・疾患名').check();
      await clickAndWait(page, consent.getByRole('button', { name: '同意を記録する' }));
      assert.equal(await notice(page), '同意を記録しました。');
      const consentRow = page.locator('#consents ~ .table-wrap tbody tr').filter({ hasText: purpose });
      assert.equal(await consentRow.count(), 1, 'the consent is listed');
      assert.match(await consentRow.innerText(), /氏名・生年月日・連絡先、疾患群・疾患名/);
      assert.match(await consentRow.innerText(), /有効/);

      const refer = page.locator('form[action$="/referrals"]');
      assert.equal(await selectContaining(refer.getByLabel('つなぐ先'), 'こども病院'), agencyLabel);
      await refer.getByLabel('目的').fill(purpose);
      await refer.getByLabel('氏名・生年月日・連絡先').check();
      await refer.getByLabel('疾患群・疾患名').check();
      await refer.getByLabel('先方への連絡事項').fill('宿泊行事の前に主治医の意見をいただきたいです。');
      await clickAndWait(page, refer.getByRole('button', { name: 'つなぐ（送付）' }));
      assert.match(await notice(page), /送付済/);
      const refRow = page.locator('#referrals ~ .table-wrap tbody tr').filter({ hasText: purpose });
      assert.equal(await refRow.count(), 1);
      assert.match(await refRow.innerText(), /送付済/);
      child.referralId = (await refRow.locator('a').getAttribute('href')).split('/').pop();

      // 医療的ケア was not consented: refused with the Japanese message, on the record page.
      const refer2 = page.locator('form[action$="/referrals"]');
      await selectContaining(refer2.getByLabel('つなぐ先'), 'こども病院');
      await refer2.getByLabel('目的').fill(`医療的ケアの共有 ${stamp}`);
      await refer2.getByLabel('氏名・生年月日・連絡先').check();
      await refer2.getByLabel('医療的ケア').check();
      const res = await clickAndWait(page, refer2.getByRole('button', { name: 'つなぐ（送付）' }));
      assert.equal(res.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      assert.match(alert, /同意がありません/);
      assert.match(alert, /医療的ケア/);
      assert.equal(await page.locator('#referrals ~ .table-wrap tbody tr').filter({ hasText: '医療的ケアの共有' }).count(), 0, 'nothing was sent');
      await checkA11y(page, '/children/{id} (errors)');
      await visit(page, `/children/${child.id}`);
      await checkA11y(page, '/children/{id}');
      await screenshot(page, 'child-record');

      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: 'つなぐ支援' }));
      assert.equal(path(page), '/referrals');
      const row = page.locator('table tbody tr').filter({ hasText: purpose });
      assert.equal(await row.count(), 1, 'the new referral is in the open list');
      await checkA11y(page, '/referrals');
    });
  });

  test('partner@demo-city handles the referral (受付 → 対応中 → 完了) and sees only consented items; the nurse sees the loop closed', async () => {
    assert.ok(child.referralId, 'the referral was sent');
    await withSession(async (page) => {
      await loginOk(page, 'partner@demo-city');
      // The menu has 紹介の受付 for partners (the home page has a card with the same name).
      await clickAndWait(page, page.getByRole('navigation', { name: 'メインメニュー' }).getByRole('link', { name: '紹介の受付' }));
      assert.equal(path(page), '/referrals');
      assert.match(await h1(page), /自機関あて/);
      const row = page.locator('table tbody tr').filter({ hasText: purpose });
      assert.equal(await row.count(), 1, 'the referral is listed for the partner');
      assert.match(await row.innerText(), /送付済/);
      await checkA11y(page, '/referrals (partner)');
      await clickAndWait(page, row.getByRole('link'));
      assert.equal(path(page), `/referrals/${child.referralId}`);
      const main = await page.locator('main').innerText();
      assert.ok(main.includes(child.name), "the partner sees the child's name");
      assert.ok(main.includes(child.disease), 'and the disease');
      assert.ok(main.includes(child.motherPhone), "and the guardian's contact (氏名・生年月日・連絡先)");
      assert.ok(!main.includes(child.medicalCare), 'but NOT the medical care text');
      assert.ok(!main.includes(child.certificate), 'and NOT the certificate number');
      assert.ok(!main.includes(consultNote), 'and NOT the consultation notes');
      const html = await page.content();
      assert.ok(!html.includes(child.medicalCare) && !html.includes(child.certificate), 'not even hidden in the HTML');
      assert.equal(await page.locator('main a[href^="/children/"]').count(), 0, "no link into the child's record");
      await checkA11y(page, '/referrals/{id} (partner)');
      await screenshot(page, 'referral-partner');

      const form = page.locator('form[action$="/status"]');
      await form.getByLabel('新しい状況').selectOption({ label: '受付' });
      await clickAndWait(page, form.getByRole('button', { name: '更新する' }));
      assert.equal(await notice(page), '状況を更新しました。');
      assert.match(await page.locator('dl.facts').first().innerText(), /状況\s*受付/);
      await form.getByLabel('新しい状況').selectOption({ label: '対応中' });
      await clickAndWait(page, form.getByRole('button', { name: '更新する' }));
      assert.match(await page.locator('dl.facts').first().innerText(), /状況\s*対応中/);

      await form.getByLabel('新しい状況').selectOption({ label: '完了' });
      const bad = await clickAndWait(page, form.getByRole('button', { name: '更新する' }));
      assert.equal(bad.status(), 422);
      assert.match(await page.getByRole('alert').innerText(), /対応の結果を入力してください/);
      assert.match(await page.locator('dl.facts').first().innerText(), /状況\s*対応中/, 'still 対応中');
      await checkA11y(page, '/referrals/{id} (partner, error)');
      await form.getByLabel('新しい状況').selectOption({ label: '完了' });
      await form.getByLabel(/対応の結果/).fill('主治医が学校生活管理指導表を作成し、宿泊行事の対応を学校と確認した。');
      await clickAndWait(page, form.getByRole('button', { name: '更新する' }));
      assert.match(await page.locator('dl.facts').first().innerText(), /状況\s*完了/);
      assert.equal(await page.locator('form[action$="/status"]').count(), 0, 'a completed referral offers no further status');
    });

    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/referrals/${child.referralId}`);
      const facts = await page.locator('dl.facts').first().innerText();
      assert.match(facts, /状況\s*完了/);
      assert.match(facts, /学校生活管理指導表/, 'the outcome is shown');
      const steps = await texts(page, 'section[aria-labelledby="hist-heading"] ol.timeline > li');
      const to = steps.map((s) => (s.match(/→\s*(\S+)/) ?? s.match(/(送付済|受付|対応中|完了)/) ?? [])[1]);
      assert.deepEqual(to, ['送付済', '受付', '対応中', '完了'], `the 経過 has each step in order (${steps.join(' | ')})`);
      for (const s of ['送付済', '受付', '対応中', '完了']) assert.ok(to.includes(s), `the 経過 has ${s} (${steps.join(' | ')})`);
      assert.ok(steps.some((s) => s.includes('渡辺 誠')), "the partner's steps name the partner");
      await checkA11y(page, '/referrals/{id} (nurse)');
      await visit(page, `/children/${child.id}`);
      assert.match(await page.locator('#referrals ~ .table-wrap tbody tr').filter({ hasText: purpose }).innerText(), /完了/);
    });
  });

  test('support plan: two versions, compared; the print view renders and prints to an A4 PDF', async () => {
    assert.ok(child.id, 'the child was registered');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/children/${child.id}`);
      await clickAndWait(page, page.getByRole('link', { name: '自立支援計画' }));
      assert.equal(path(page), `/children/${child.id}/plan`);
      assert.match(await page.locator('main').innerText(), /まだ計画はありません/);
      await checkA11y(page, '/children/{id}/plan');

      const revise = async (fill) => {
        await clickAndWait(page, page.getByRole('link', { name: '見直して新しい版を作る' }));
        assert.equal(path(page), `/children/${child.id}/plan/edit`);
        await fill();
        await clickAndWait(page, page.getByRole('button', { name: '新しい版として保存' }));
        assert.equal(path(page), `/children/${child.id}/plan`);
        assert.equal(await notice(page), '自立支援計画の新しい版を保存しました。');
      };
      await revise(async () => {
        assert.match(await h1(page), /第1版を作成/);
        await checkA11y(page, '/children/{id}/plan/edit');
        await page.getByLabel('本人の思い').fill('友だちと同じように修学旅行に行きたい。');
        await page.getByLabel('長期目標').fill('学校生活を安心して続けられる。');
        await page.getByLabel('取り組み 1').fill('学校と主治医の連絡会を開く');
        await page.locator('#action_owner_0').fill('自立支援員・デモ市立こども病院');
      });
      assert.match(await page.locator('main').innerText(), /第1版/);
      assert.match(await page.locator('main table').innerText(), /学校と主治医の連絡会を開く[\s\S]*自立支援員・デモ市立こども病院/);

      await revise(async () => {
        assert.match(await h1(page), /第2版を作成/);
        assert.equal(await page.getByLabel('長期目標').inputValue(), '学校生活を安心して続けられる。', 'the form starts from the current version');
        await page.getByLabel('長期目標').fill('学校生活と宿泊行事を安心して楽しめる。');
        await page.getByLabel('取り組み 2').fill('宿泊行事の前に養護教諭と打ち合わせる');
        await page.locator('#action_owner_1').fill('母・養護教諭');
        await page.getByLabel('この版で変えたこと・理由').fill('宿泊行事が決まったため');
      });
      assert.match(await page.locator('main').innerText(), /第2版/);

      await page.getByLabel('比べる版').selectOption('1');
      await page.getByLabel('と', { exact: true }).selectOption('2');
      await clickAndWait(page, page.getByRole('button', { name: '比べる' }));
      const cmp = page.locator('table.compare');
      assert.equal(await cmp.count(), 1);
      assert.equal((await cmp.locator('caption').innerText()).trim(), '第1版と第2版の違い');
      const goal = cmp.locator('tbody tr').filter({ has: page.locator('th', { hasText: '長期目標' }) });
      assert.match(await goal.locator('td').nth(0).innerText(), /学校生活を安心して続けられる。/);
      assert.match(await goal.locator('td').nth(1).innerText(), /宿泊行事を安心して楽しめる/);
      assert.match(await goal.locator('td').nth(1).getAttribute('class'), /changed/);
      await checkA11y(page, '/children/{id}/plan?a&b (compare)');

      await clickAndWait(page, page.getByRole('link', { name: 'ご家族用に印刷' }));
      assert.equal(path(page), `/children/${child.id}/plan/print`);
      assert.match(await h1(page), new RegExp(`自立支援計画\\s*${child.name} さん`));
      assert.equal(await page.getByRole('link', { name: '見直して新しい版を作る' }).count(), 0, 'no editing buttons in the print view');
      assert.match(await page.locator('main').innerText(), /本人・保護者の確認/);
      await checkA11y(page, '/children/{id}/plan/print');
      await mkdir(RESULTS_DIR, { recursive: true });
      const pdf = pathLib.join(RESULTS_DIR, 'plan.pdf');
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
      const size = (await stat(pdf)).size;
      console.log(`plan.pdf: ${size} bytes`);
      assert.ok(size > 10_000, `the PDF is not empty (${size} bytes)`);
    });
  });

  test('頼れる人マップ: the SVG image, adding a person, the worksheet', async () => {
    assert.ok(child.id, 'the child was registered');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/children/${child.id}`);
      await clickAndWait(page, page.getByRole('link', { name: '頼れる人マップ' }));
      assert.equal(path(page), `/children/${child.id}/ecomap`);
      const img = page.locator('figure.ecomap img');
      assert.equal(await img.getAttribute('src'), `/children/${child.id}/ecomap.svg`);
      assert.match(await img.getAttribute('alt'), /頼れる人マップ/);

      const form = page.locator('form[action$="/ecomap"]');
      await form.getByLabel('名前').fill('試験 ばあば');
      await form.getByLabel('所属・続柄').fill('祖母');
      await form.getByLabel('どんな時に連絡').fill('母の通院日');
      await form.getByLabel('関係', { exact: true }).selectOption({ label: '強い' });
      await clickAndWait(page, form.getByRole('button', { name: '加える' }));
      assert.equal(await notice(page), '頼れる人マップを更新しました。');
      const row = page.locator('table tbody tr').filter({ hasText: '試験 ばあば' });
      assert.equal(await row.count(), 1, 'the person is in the table');
      assert.match(await row.innerText(), /祖母[\s\S]*母の通院日[\s\S]*強い/);
      await img.evaluate((el) => (el.complete ? null : new Promise((r) => { el.onload = r; el.onerror = r; })));
      assert.ok((await img.evaluate((el) => el.naturalWidth)) > 0, 'the SVG image loaded');

      const svg = await page.request.get(url(`/children/${child.id}/ecomap.svg`));
      assert.equal(svg.status(), 200);
      assert.match(svg.headers()['content-type'], /^image\/svg\+xml/);
      const body = await svg.text();
      assert.match(body, /<svg[\s>]/);
      await checkA11y(page, '/children/{id}/ecomap');
      await screenshot(page, 'ecomap');

      await clickAndWait(page, page.getByRole('link', { name: '研修用の白紙ワークシート' }));
      assert.equal(path(page), '/ecomap/worksheet');
      assert.match(await h1(page), /ワークシート/);
      const ws = await page.request.get(url('/ecomap/worksheet.svg'));
      assert.equal(ws.status(), 200);
      assert.match(ws.headers()['content-type'], /^image\/svg\+xml/);
      await checkA11y(page, '/ecomap/worksheet');
      await screenshot(page, 'ecomap-worksheet');

      // What the pictures contain (checked last, so that the pages above are covered even
      // while the SVG renderers are placeholders).
      assert.ok(body.includes('試験 ばあば'), `the new person is drawn in the ecomap SVG (got ${body.length} bytes: ${body.slice(0, 200)})`);
      const wsBody = await ws.text();
      assert.ok(/<(text|rect|circle|path|line)[\s>]/.test(wsBody), `the worksheet SVG draws something (got ${wsBody.slice(0, 200)})`);
    });
  });

  test('handover to 田中 健一 with a note', async () => {
    assert.ok(child.id, 'the child was registered');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, `/children/${child.id}`);
      const form = page.locator('form[action$="/handover"]');
      await selectContaining(form.getByLabel('新しい主担当'), '田中 健一');
      await form.getByLabel('引き継ぎの要点').fill(`宿泊行事の調整中。主治医の意見書待ち（${stamp}）`);
      await clickAndWait(page, form.getByRole('button', { name: '引き継ぐ' }));
      assert.match(await notice(page), /引き継ぎました/);
      const facts = await page.locator('dl.facts').first().innerText();
      assert.match(facts, /田中 健一（自立支援員・主担当）/, `田中 健一 is now the primary worker (${facts})`);
      assert.ok((await texts(page, 'ol.timeline > li')).some((t) => t.includes('引き継ぎ') && t.includes(stamp)), 'the handover is in the timeline');
    });
  });

  test('privacy: another tenant gets 404, a contractor sees fewer children than a nurse', async () => {
    assert.ok(child.id, 'the child was registered');
    let nurseCount;
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, '/children');
      nurseCount = await childCount(page);
    });
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-pref');
      for (const p of [`/children/${child.id}`, `/children/${child.id}/plan`, `/children/${child.id}/ecomap`, `/referrals/${child.referralId}`]) {
        const res = await visit(page, p);
        assert.equal(res.status(), 404, `${p} is 404 for another tenant`);
        assert.equal(await h1(page), '見つかりません');
        assert.ok(!(await page.locator('main').innerText()).includes(child.name), 'the name does not leak');
      }
      const svg = await page.request.get(url(`/children/${child.id}/ecomap.svg`));
      assert.equal(svg.status(), 404);
      await visit(page, '/children');
      assert.ok(!(await page.locator('main').innerText()).includes(child.name), "demo-pref's list does not show the demo-city child");
    });
    await withSession(async (page) => {
      await loginOk(page, 'contractor@demo-city');
      await visit(page, '/children');
      const n = await childCount(page);
      assert.ok(n > 0 && n < nurseCount, `the contractor sees only the children of the contract (${n} < ${nurseCount})`);
      const res = await visit(page, `/children/${child.id}`);
      assert.equal(res.status(), 404, 'a child not assigned to the contractor is not found');
    });
  });

  test('axe-core checked every casework page the suite is meant to cover', () => {
    const required = [
      '/follow-ups', '/children', '/children/{id} (demo child)', '/children/new', '/children/new (errors)', '/children/{id}',
      '/children/{id} (errors)', '/children/{id}/plan', '/children/{id}/plan/edit', '/children/{id}/plan?a&b (compare)',
      '/children/{id}/plan/print', '/children/{id}/ecomap', '/ecomap/worksheet', '/referrals', '/referrals (partner)',
      '/referrals/{id} (partner)', '/referrals/{id} (nurse)',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
