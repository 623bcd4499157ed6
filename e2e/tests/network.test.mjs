// Collaboration network (連携・協議会): the hub, versioned purposes of collaboration
// (連携目的) and their print view, councils and their members (with the composition check
// and the Excel roster), meetings prepared from the guide's timeline, minutes and
// actions, trainings with the group-work cases, and contracts with monthly reports seen
// from both the contractor and the tenant admin. Every page visited is checked with
// axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE_URL, DB, checkA11y as axeCheck, loginOk, openSession, screenshot, texts, visit } from '../lib.mjs';

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
const navLabels = (page) => texts(page, 'nav[aria-label="メインメニュー"] a');

/** Clicks something that submits or navigates, and waits for the next page. */
async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const ADMIN = 'tenant_admin@demo-city';

// Shared between tests.
const state = { councilId: null, meetingId: null, contractId: null };

describe(`yorube network (${DB} at ${BASE_URL})`, () => {
  test('tenant_admin@demo-city: the menu has 連携・協議会, and /network shows its sections', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      const nav = await navLabels(page);
      assert.ok(nav.includes('連携・協議会'), `the admin's menu has 連携・協議会 (${nav})`);
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '連携・協議会' }));
      assert.equal(path(page), '/network');
      assert.equal(await h1(page), '連携・協議会');
      for (const h of ['連携目的と中核機関', '協議会']) {
        assert.equal(await page.getByRole('heading', { name: h, level: 2, exact: true }).count(), 1, `/network has ${h}`);
      }
      assert.equal(await page.getByRole('heading', { name: /^会議で決まったアクション/, level: 2 }).count(), 1, '/network has 会議で決まったアクション');
      await checkA11y(page, '/network');
      await screenshot(page, 'network');
      // The network map: the hub in the centre, unconnected agencies listed apart.
      await clickAndWait(page, page.getByRole('link', { name: '連携ネットワークの図' }));
      assert.equal(path(page), '/network/map');
      const svg = await page.evaluate(async () => (await fetch('/network/map.svg')).text());
      assert.match(svg, /中核機関/);
      assert.match(svg, /まだつながっていない機関/);
      await checkA11y(page, '/network/map');
    });
  });

  test('tenant_admin@demo-city: 連携目的 第2版 with 指標, a new version 第3版, and the print view', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/network/goals');
      assert.equal(await h1(page), '連携目的と中核機関');
      assert.match(await page.locator('main').innerText(), /第2版/, 'the demo is at 第2版');
      const heads = await texts(page, '.goal-block--purpose table thead th');
      assert.ok(heads.some((h) => h.includes('指標')), `the purposes table has a 指標 column (${heads})`);
      assert.ok((await page.locator('.goal-block--purpose table tbody tr').count()) > 0, 'there are purposes');
      await checkA11y(page, '/network/goals');

      await clickAndWait(page, page.getByRole('link', { name: '見直して新しい版を作る' }));
      assert.equal(path(page), '/network/goals/edit');
      assert.equal(await h1(page), '連携目的の見直し');
      await checkA11y(page, '/network/goals/edit');
      const purpose = `退院前に学校と病院が顔を合わせる ${stamp}`;
      await page.locator('#purpose_0').fill(purpose);
      await page.locator('#note').fill(`e2e で見直し ${stamp}`);
      const res = await clickAndWait(page, page.getByRole('button', { name: '新しい版として保存' }));
      assert.equal(res.status(), 200);
      assert.equal(path(page), '/network/goals');
      assert.equal(await notice(page), '連携目的の新しい版を保存しました。');
      assert.match(await page.locator('main').innerText(), /第3版/);
      const purposes = await texts(page, '.goal-block--purpose table tbody tr td:first-child');
      assert.ok(purposes.includes(purpose), `the new purpose is shown (${purposes})`);

      const pr = await visit(page, '/network/goals/print');
      assert.equal(pr.status(), 200);
      assert.match(await h1(page), /連携の目的/);
      assert.match(await page.locator('main').innerText(), new RegExp(stamp), 'the print view shows the current version');
      await checkA11y(page, '/network/goals/print');
    });
  });

  test('tenant_admin@demo-city: a council, its composition check, members (所属 required) and the Excel roster', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/councils');
      assert.equal(await h1(page), '協議会');
      const links = page.locator('table tbody tr td:first-child a');
      assert.ok((await links.count()) > 0, 'the demo has a council');
      await checkA11y(page, '/councils');

      const name = (await links.first().innerText()).trim();
      await clickAndWait(page, links.first());
      assert.match(path(page), /^\/councils\/[^/]+$/);
      state.councilId = path(page).split('/').pop();
      assert.equal(await h1(page), name);
      const comp = page.locator('[role=status]').filter({ hasText: '構成の確認' });
      assert.equal(await comp.count(), 1, 'the 構成の確認 box is shown');
      assert.match(await comp.innerText(), /参加している分野/);
      await checkA11y(page, '/councils/{id}');

      // Without 所属 (neither from the registry nor typed): refused.
      const nobody = `所属なし ${stamp}`;
      await page.locator('#m-name').fill(nobody);
      await page.locator('#m-agency').selectOption('');
      await page.locator('#m-aff').fill('');
      const bad = await clickAndWait(page, page.getByRole('button', { name: '加える' }));
      assert.equal(bad.status(), 422);
      assert.match(await page.getByRole('alert').innerText(), /所属を入力してください/);
      assert.equal(await page.locator('table tbody td', { hasText: nobody }).count(), 0, 'nothing was added');
      await checkA11y(page, '/councils/{id} (error)');
      await screenshot(page, 'council-error');

      await visit(page, `/councils/${state.councilId}`);
      const member = `試験 委員${stamp}`;
      const aff = `e2e 訪問看護ステーション ${stamp}`;
      await page.locator('#m-name').fill(member);
      await page.locator('#m-aff').fill(aff);
      await page.locator('#m-role').fill('委員');
      // A typed 所属 (not from the registry) needs a 分野.
      const field = await page.locator('#m-field option').nth(1).getAttribute('value') ?? (await page.locator('#m-field option').nth(1).innerText());
      await page.locator('#m-field').selectOption(field);
      const ok = await clickAndWait(page, page.getByRole('button', { name: '加える' }));
      assert.equal(ok.status(), 200);
      const row = page.locator('table tbody tr', { hasText: member });
      assert.equal(await row.count(), 1, 'the new member is in the table');
      assert.match(await row.innerText(), new RegExp(aff));

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: '構成員名簿を Excel で書き出す' }).click(),
      ]);
      assert.match(download.suggestedFilename(), /\.xlsx$/, `the roster is an .xlsx (${download.suggestedFilename()})`);
      assert.equal(await download.failure(), null);
    });
  });

  test('tenant_admin@demo-city: prepares a meeting from the timeline, records minutes and actions, prints', async () => {
    assert.ok(state.councilId, 'the previous test opened a council');
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, `/councils/${state.councilId}`);
      const first = await page.locator('#seg_title_0').inputValue();
      assert.equal(first, '開会挨拶', 'the agenda starts with the guide timeline');
      const titles = await page.locator('input[id^=seg_title_]').evaluateAll((es) => es.map((e) => e.value).filter(Boolean));
      assert.ok(titles.includes('連携目的の共有・連携場面の共有'), `the timeline has 連携目的の共有・連携場面の共有 (${titles})`);

      const title = `e2e 協議会 ${stamp}`;
      await page.locator('#mt-title').fill(title);
      await page.locator('#mt-date').fill('2026-02-10');
      await page.locator('#mt-dur').fill('50');
      const before = await page.locator('section[aria-labelledby=meetings-h] ul.link-list li').count();
      const bad = await clickAndWait(page, page.getByRole('button', { name: '会議を登録' }));
      assert.equal(bad.status(), 422);
      assert.match(await page.getByRole('alert').innerText(), /超えています/);
      assert.equal(await page.locator('section[aria-labelledby=meetings-h] ul.link-list li').count(), before, 'nothing saved');
      assert.equal(await page.locator('section[aria-labelledby=meetings-h] a', { hasText: title }).count(), 0, 'nothing saved');

      await page.locator('#mt-title').fill(title);
      await page.locator('#mt-date').fill('2026-02-10');
      await page.locator('#mt-dur').fill('60');
      const ok = await clickAndWait(page, page.getByRole('button', { name: '会議を登録' }));
      assert.equal(ok.status(), 200);
      assert.match(path(page), /^\/meetings\/[^/]+$/, `landed on the meeting (${page.url()})`);
      state.meetingId = path(page).split('/').pop();
      assert.equal(await h1(page), title);
      const times = await texts(page, 'table.agenda tbody td:first-child');
      assert.ok(times.includes('0:25-1:00'), `the 次第 has 0:25-1:00 (${times})`);
      await checkA11y(page, '/meetings/{id}');

      const boxes = page.locator('fieldset.inline-checks input[type=checkbox]');
      assert.ok((await boxes.count()) >= 2, 'there are members to tick');
      const names = [];
      for (const i of [0, 1]) {
        await boxes.nth(i).check();
        // The label is 「氏名（所属）」; the print view lists the names.
        const label = (await page.locator(`label[for="${await boxes.nth(i).getAttribute('id')}"]`).innerText()).trim();
        names.push(label.split('（')[0].trim());
      }
      const minutes = `連携目的を共有した。${stamp}`;
      const decisions = `次回は退院支援の事例を扱う。${stamp}`;
      await page.locator('#minutes').fill(minutes);
      await page.locator('#decisions').fill(decisions);
      await clickAndWait(page, page.getByRole('button', { name: '出欠と議事録を保存' }));
      assert.equal(await notice(page), '出欠・議事録・決定事項を保存しました。');
      assert.equal(await page.locator('#minutes').inputValue(), minutes);
      assert.equal(await boxes.nth(0).isChecked(), true);
      assert.equal(await boxes.nth(1).isChecked(), true);

      const todo = `学校向けの説明資料を作る ${stamp}`;
      await page.locator('#x-desc').fill(todo);
      await page.locator('#x-owner').fill('保健師 高橋');
      await page.locator('#x-due').fill('2026-03-31');
      await clickAndWait(page, page.getByRole('button', { name: 'アクションを追加' }));
      const item = page.locator('section[aria-labelledby=actions] ul.due-list > li', { hasText: todo });
      assert.equal(await item.count(), 1, 'the action is listed');
      assert.match(await item.locator('.badge').first().innerText(), /未完了/);
      await clickAndWait(page, item.getByRole('button', { name: '完了にする' }));
      assert.equal(path(page), `/meetings/${state.meetingId}`);
      assert.match(await item.locator('.badge').first().innerText(), /^完了$/);
      await checkA11y(page, '/meetings/{id} (after saving)');
      await screenshot(page, 'meeting');

      const pr = await visit(page, `/meetings/${state.meetingId}/print`);
      assert.equal(pr.status(), 200);
      const text = await page.locator('main').innerText();
      assert.match(text, new RegExp(minutes));
      assert.match(text, new RegExp(decisions));
      for (const n of names) assert.ok(text.includes(n), `the print view lists the attendee ${n}`);
      assert.ok(text.includes(todo), 'the print view lists the action');
      await checkA11y(page, '/meetings/{id}/print');
    });
  });

  test('tenant_admin@demo-city: /action-items lists open actions, with the demo’s overdue one', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/action-items');
      assert.equal(await h1(page), '会議のアクション');
      assert.ok((await page.locator('table tbody tr').count()) > 0, 'there are open actions');
      assert.ok((await page.locator('table tbody tr.overdue .badge--late', { hasText: '期限切れ' }).count()) > 0, 'an overdue action has 期限切れ');
      await checkA11y(page, '/action-items');
    });
  });

  test('tenant_admin@demo-city: trainings, the four group-work cases, and saving a new training', async () => {
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, '/trainings');
      assert.equal(await h1(page), '研修会');
      assert.ok((await page.locator('table tbody tr').count()) > 0, 'the demo has a training');
      await checkA11y(page, '/trainings');

      await clickAndWait(page, page.locator('main').getByRole('link', { name: '研修会を企画する' }));
      assert.equal(new URL(page.url()).search, '?new=1');
      const cases = await page.locator('fieldset', { hasText: 'グループワークの事例' }).innerText();
      for (const d of ['1型糖尿病', '重症心身障害児', '先天性心疾患', '急性リンパ性白血病']) assert.ok(cases.includes(d), `the case ${d} is offered`);
      assert.equal(await page.locator('input[name=scenarios]').count(), 4);
      await checkA11y(page, '/trainings?new=1');

      const title = `e2e 研修会 ${stamp}`;
      await page.locator('#title').fill(title);
      await page.locator('#date').fill('2026-02-20');
      await page.locator('#p_name_0').fill(`試験 参加者${stamp}`);
      await page.locator('#p_aff_0').fill('e2e 特別支援学校');
      await page.locator('#p_attended_0').check();
      const ok = await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.equal(ok.status(), 200);
      assert.equal(await notice(page), '研修会を保存しました。');
      assert.equal(await page.locator('#title').inputValue(), title);
    });
  });

  test('contractor@demo-city: 委託・月次報告, their contract, and a month outside the contract is refused', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'contractor@demo-city');
      const nav = await navLabels(page);
      assert.ok(nav.includes('委託・月次報告'), `the contractor's menu has 委託・月次報告 (${nav})`);
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '委託・月次報告' }));
      assert.equal(path(page), '/contracts');
      const links = page.locator('table tbody tr td:first-child a');
      assert.ok((await links.count()) > 0, 'the contractor sees their contract');
      await checkA11y(page, '/contracts');

      await clickAndWait(page, links.first());
      assert.match(path(page), /^\/contracts\/[^/]+$/);
      state.contractId = path(page).split('/').pop();
      await checkA11y(page, '/contracts/{id} (contractor)');

      await page.locator('#month').fill('2099-01');
      const bad = await clickAndWait(page, page.getByRole('button', { name: '支援の記録から下書きを作る' }));
      assert.ok(bad.status() >= 400, `refused (${bad.status()})`);
      assert.match(await page.getByRole('alert').innerText(), /契約期間/);
      assert.equal(await page.locator('article.report h3', { hasText: '2099-01' }).count(), 0, 'no report for 2099-01');
      await checkA11y(page, '/contracts/{id} (contractor, error)');
    });
  });

  test('tenant_admin@demo-city approves the demo’s submitted monthly report', async () => {
    assert.ok(state.contractId, 'the previous test opened the contract');
    await withSession(async (page) => {
      await loginOk(page, ADMIN);
      await visit(page, `/contracts/${state.contractId}`);
      const submitted = page.locator('article.report', { has: page.locator('h3 .badge', { hasText: '提出済' }) });
      assert.ok((await submitted.count()) > 0, 'the demo has a 提出済 report');
      const month = (await submitted.first().locator('h3').innerText()).split(/\s/)[0];
      await checkA11y(page, '/contracts/{id} (admin)');

      await clickAndWait(page, submitted.first().getByRole('button', { name: '承認する' }));
      assert.equal(path(page), `/contracts/${state.contractId}`);
      assert.equal(await notice(page), '月次報告を承認しました。');
      const h3 = await page.locator('article.report h3', { hasText: month }).first().innerText();
      assert.doesNotMatch(h3, /提出済/, `the report of ${month} is no longer 提出済 (${h3})`);
    });
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = [
      '/network',
      '/network/goals',
      '/network/goals/edit',
      '/network/goals/print',
      '/councils',
      '/councils/{id}',
      '/councils/{id} (error)',
      '/meetings/{id}',
      '/meetings/{id}/print',
      '/action-items',
      '/trainings',
      '/trainings?new=1',
      '/contracts',
      '/contracts/{id} (contractor)',
      '/contracts/{id} (admin)',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
