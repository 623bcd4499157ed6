// Case conferences (ケース会議, W4 item 5): the 自立支援員 plans a conference from a
// child's record (an agenda that overruns is refused first), adds staff and the family,
// tries an agency without the family's consent (refused with a Japanese message, nothing
// saved), adds the consented agencies, sees which items of the record the conference
// shows and why others are hidden, records attendance, minutes and outcomes, reflects
// them into the 自立支援計画 (a new revision; the button is gone afterwards), and sees
// the conference on the record, in the timeline and in the A4 print. Another tenant
// gets 404. Every page visited is checked with axe-core, and no request may leave the
// server.

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

/** YYYY-MM-DD, `days` from today in Japan. */
function jstDate(days) {
  const d = new Date(Date.now() + 9 * 3600 * 1000 + days * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}

/** The options of a select (value, label), optionally inside an optgroup with `group` in its label. */
async function options(select, group) {
  const sel = group ? select.locator(`optgroup[label*="${group}"] option`) : select.locator('option');
  return sel.evaluateAll((os) => os.map((o) => ({ v: o.value, l: o.textContent.trim() })).filter((o) => o.v));
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const WORKER = 'support_worker@demo-city';
const state = { childId: null, childName: null, conferenceId: null, revision: null, agencies: [] };
const purpose = `復学後の体調不良時の連絡と役割分担を確認する ${stamp}`;

describe(`yorube case conferences (${DB} at ${BASE_URL})`, () => {
  test('support_worker@demo-city: plans a conference from a child’s record (an overrunning agenda is refused first)', async () => {
    await withSession(async (page) => {
      await loginOk(page, WORKER);
      await visit(page, '/children');
      const first = page.locator('table tbody tr td:first-child a').first();
      state.childName = (await first.innerText()).trim();
      await clickAndWait(page, first);
      assert.match(path(page), /^\/children\/[^/]+$/);
      state.childId = path(page).split('/').pop();
      const section = page.locator('section[aria-labelledby=conferences]');
      assert.equal(await section.getByRole('heading', { name: 'ケース会議', level: 2 }).count(), 1, 'the record has a ケース会議 section');
      await clickAndWait(page, section.getByRole('link', { name: 'ケース会議を計画する' }));
      assert.equal(path(page), `/children/${state.childId}/conferences/new`);
      assert.equal(await h1(page), 'ケース会議を計画する');
      const agenda = await page.locator('input[id^=seg_title_]').evaluateAll((xs) => xs.map((x) => x.value).filter(Boolean));
      assert.deepEqual(agenda, ['目的の確認', '現状の共有', '支援の検討', '役割分担', '次回の確認'], 'the case-conference template');
      assert.equal(await page.locator('#seg_start_4').inputValue(), '0:55');
      await checkA11y(page, '/children/{id}/conferences/new');

      // 45 minutes: the template overruns; refused, nothing saved.
      await page.locator('#cf-date').fill(jstDate(-1));
      await page.locator('#cf-time').fill('16:00');
      await page.locator('#cf-dur').fill('45');
      await page.locator('#cf-place').fill('デモ市立本町小学校 会議室');
      await page.locator('#cf-purpose').fill(purpose);
      const bad = await clickAndWait(page, page.getByRole('button', { name: 'ケース会議を登録' }));
      assert.equal(bad.status(), 422);
      assert.match(await page.getByRole('alert').innerText(), /議題「役割分担」が 0:40〜0:55 で、会議の時間（45分、0:45まで）を超えています/);
      assert.equal(await page.locator('#cf-purpose').inputValue(), purpose, 'what was typed is kept');
      await checkA11y(page, '/children/{id}/conferences/new (error)');
      await visit(page, `/children/${state.childId}`);
      assert.equal(await page.locator('section[aria-labelledby=conferences] td', { hasText: purpose }).count(), 0, 'nothing saved');

      await clickAndWait(page, page.locator('section[aria-labelledby=conferences]').getByRole('link', { name: 'ケース会議を計画する' }));
      await page.locator('#cf-title').fill(`復学に向けたケース会議 ${stamp}`);
      await page.locator('#cf-date').fill(jstDate(-1));
      await page.locator('#cf-time').fill('16:00');
      await page.locator('#cf-dur').fill('60');
      await page.locator('#cf-place').fill('デモ市立本町小学校 会議室');
      await page.locator('#cf-purpose').fill(purpose);
      const ok = await clickAndWait(page, page.getByRole('button', { name: 'ケース会議を登録' }));
      assert.equal(ok.status(), 200);
      assert.match(path(page), /^\/conferences\/[^/]+$/, `landed on the conference (${page.url()})`);
      state.conferenceId = path(page).split('/').pop();
      assert.equal(await h1(page), `復学に向けたケース会議 ${stamp}`);
      assert.match(await notice(page), /ケース会議を登録しました/);
      assert.match(await page.locator('dl.facts').first().innerText(), /60分[\s\S]*本町小学校 会議室[\s\S]*復学後の体調不良時/);
      assert.equal(await page.locator('section[aria-labelledby=agenda-h] tbody tr').count(), 5);
      await checkA11y(page, '/conferences/{id}');
      await screenshot(page, 'conference-new');
    });
  });

  test('support_worker@demo-city: adds staff and family; an agency without consent is refused; consented agencies are added', async () => {
    assert.ok(state.conferenceId, 'the previous test planned a conference');
    await withSession(async (page) => {
      await loginOk(page, WORKER);
      await visit(page, `/conferences/${state.conferenceId}`);
      const rows = page.locator('section[aria-labelledby=participants] table tbody tr');
      assert.equal(await rows.count(), 0);

      const staff = await options(page.locator('#p-staff'));
      const nurse = staff.find((o) => o.l.includes('保健師'));
      assert.ok(nurse, `a 保健師 among the staff (${staff.map((o) => o.l)})`);
      await page.locator('#p-staff').selectOption(nurse.v);
      await clickAndWait(page, page.getByRole('button', { name: '職員を加える' }));
      assert.equal(await notice(page), '参加者を更新しました。');
      await page.locator('#p-family').fill('母');
      await clickAndWait(page, page.getByRole('button', { name: '本人・家族を加える' }));
      assert.equal(await rows.count(), 2);

      // An agency without the family's consent: refused, with the reason; nothing saved.
      const others = await options(page.locator('#p-agency'), 'その他の機関');
      assert.ok(others.length > 0, 'agencies without consent are offered apart');
      const other = others.find((o) => o.l.includes('（就労）')) ?? others[0];
      await page.locator('#p-agency').selectOption(other.v);
      const refused = await clickAndWait(page, page.getByRole('button', { name: '関係機関を加える' }));
      assert.equal(refused.status(), 422);
      const alert = await page.getByRole('alert').innerText();
      const otherName = other.l.replace(/（[^（]*）$/, '');
      assert.match(alert, new RegExp(`「${otherName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}」は、この子どもの情報共有について家族の同意がないため、ケース会議の参加者にできません`));
      assert.match(alert, /先に「情報共有の同意」で家族の同意を記録してください/);
      assert.equal(await rows.count(), 2, 'nothing saved');
      await checkA11y(page, '/conferences/{id} (refused)');
      await screenshot(page, 'conference-refused');

      // The agencies with consent (the demo child's hospital and school, and others).
      const consented = await options(page.locator('#p-agency'), '家族の同意がある機関');
      assert.ok(consented.length >= 2, `the demo child has consents for the hospital and the school (${consented.map((o) => o.l)})`);
      for (const o of consented.slice(0, 2)) {
        await page.locator('#p-agency').selectOption(o.v);
        await page.locator('#p-agency-name').fill('担当者');
        await clickAndWait(page, page.getByRole('button', { name: '関係機関を加える' }));
        assert.equal(await notice(page), '参加者を更新しました。');
        state.agencies.push(o.l.replace(/（同意: .*）$/, ''));
      }
      assert.equal(await rows.count(), 4);
      const consents = await texts(page, 'section[aria-labelledby=participants] table tbody tr td:nth-child(4)');
      assert.equal(consents.filter((c) => c.startsWith('同意あり')).length, 2, `${consents}`);

      // The shared items: what every participating agency may see, and why others are hidden.
      const shared = page.locator('section[aria-labelledby=shared-h]');
      assert.match(await shared.locator('p.muted').first().innerText(), /氏名・生年月日・連絡先、疾患群・疾患名/);
      assert.match(await shared.locator('dl.facts').innerText(), new RegExp(`氏名[\\s\\S]*${state.childName}`));
      const cert = shared.locator('tbody tr', { has: page.locator('th', { hasText: '医療受給者証' }) });
      assert.match(await cert.innerText(), /表示しない[\s\S]*の同意に含まれていません/);
      const basic = shared.locator('tbody tr', { has: page.locator('th', { hasText: '氏名・生年月日・連絡先' }) });
      assert.match(await basic.innerText(), /表示[\s\S]*すべての関係機関が同意しています/);
      await checkA11y(page, '/conferences/{id} (participants)');
      await screenshot(page, 'conference-participants');
    });
  });

  test('support_worker@demo-city: records attendance, minutes and outcomes, reflects them into the plan once', async () => {
    assert.ok(state.agencies.length === 2, 'the previous test added two agencies');
    await withSession(async (page) => {
      await loginOk(page, WORKER);
      await visit(page, `/conferences/${state.conferenceId}`);
      for (const box of await page.locator('input[name=attended]').all()) await box.check();
      await page.locator('#minutes').fill(`母より朝の体調が不安定との報告。主治医より受診の目安の説明。（${stamp}）`);
      await page.locator('#decisions').fill('体調不良時の連絡票を作る');
      await clickAndWait(page, page.getByRole('button', { name: '出欠と議事録を保存' }));
      assert.equal(await notice(page), '出欠・議事録・決定事項を保存しました。');
      const attendance = await texts(page, 'section[aria-labelledby=participants] table tbody tr td:nth-child(5)');
      assert.deepEqual(attendance, ['出席', '出席', '出席', '出席']);

      const outcomes = [
        ['学校生活管理指導表を更新して学校へ渡す', state.agencies[0], jstDate(14)],
        ['体調不良時の連絡票を作り、教職員に周知する', state.agencies[1], jstDate(21)],
      ];
      for (const [d, o, due] of outcomes) {
        await page.locator('#o-desc').fill(`${d} ${stamp}`);
        await page.locator('#o-owner').fill(o);
        await page.locator('#o-due').fill(due);
        await clickAndWait(page, page.getByRole('button', { name: '結果を追加' }));
        assert.equal(await notice(page), '結果（決まったこと）を更新しました。');
      }
      const table = page.locator('section[aria-labelledby=outcomes] table tbody tr');
      assert.equal(await table.count(), 2);
      assert.match(await table.first().innerText(), /未完了[\s\S]*未反映/);
      assert.match(await page.locator('section[aria-labelledby=outcomes] .panel').innerText(), /まだ計画に反映していない結果が 2 件あります/);
      await checkA11y(page, '/conferences/{id} (outcomes)');

      const res = await clickAndWait(page, page.getByRole('button', { name: '支援計画に反映' }));
      assert.equal(res.status(), 200);
      const n = await notice(page);
      const m = n.match(/第(\d+)版/);
      assert.ok(m, `the notice names the new revision: ${n}`);
      state.revision = Number(m[1]);
      assert.match(n, /前の版もそのまま残っています/);
      assert.deepEqual(await texts(page, 'section[aria-labelledby=outcomes] table tbody tr td:nth-child(5)'), [`第${state.revision}版に反映済み`, `第${state.revision}版に反映済み`]);
      assert.equal(await page.getByRole('button', { name: '支援計画に反映' }).count(), 0, 'nothing left to reflect: no button');
      assert.match(await page.locator('section[aria-labelledby=outcomes] .panel').innerText(), new RegExp(`すべての結果を自立支援計画の第${state.revision}版に反映しています`));
      await checkA11y(page, '/conferences/{id} (reflected)');
      await screenshot(page, 'conference-reflected');

      // The plan: the new revision with the outcomes as actions (未着手); earlier kept.
      await clickAndWait(page, page.getByRole('link', { name: '計画を見る' }));
      assert.equal(path(page), `/children/${state.childId}/plan`);
      const main = await page.locator('main').innerText();
      assert.match(main, new RegExp(`第${state.revision}版`));
      assert.match(main, /ケース会議「復学に向けたケース会議/);
      const actions = await page.locator('main table').first().innerText();
      for (const [d, o] of outcomes) assert.match(actions, new RegExp(`${d} ${stamp}[\\s\\S]*?${o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\s\\S]*?未着手`));
      if (state.revision > 1) {
        const revs = await texts(page, 'section[aria-labelledby=rev-heading] ul.link-list li');
        assert.equal(revs.length, state.revision, 'every revision is kept');
      }
      await checkA11y(page, '/children/{id}/plan (after the conference)');
    });
  });

  test('support_worker@demo-city: the record lists the conference, the timeline shows it, the A4 print shows only consented items', async () => {
    assert.ok(state.revision, 'the previous test reflected the outcomes');
    await withSession(async (page) => {
      await loginOk(page, WORKER);
      await visit(page, `/children/${state.childId}`);
      const row = page.locator('section[aria-labelledby=conferences] table tbody tr', { hasText: purpose });
      assert.equal(await row.count(), 1, 'the record lists the conference');
      assert.match(await row.innerText(), new RegExp(`開催済み[\\s\\S]*計画 第${state.revision}版に反映`));
      const item = page.locator('ol.timeline li.timeline__item--conference', { hasText: purpose });
      assert.equal(await item.count(), 1, 'the timeline shows the held conference');
      assert.match(await item.innerText(), new RegExp(`ケース会議[\\s\\S]*自立支援計画 第${state.revision}版に反映`));
      await checkA11y(page, '/children/{id} (conference)');

      await clickAndWait(page, row.getByRole('link'));
      assert.equal(path(page), `/conferences/${state.conferenceId}`);
      await clickAndWait(page, page.getByRole('link', { name: '記録を印刷（A4）' }));
      assert.equal(path(page), `/conferences/${state.conferenceId}/print`);
      assert.match(await h1(page), /記録/);
      assert.equal(await page.locator('main form').count(), 0, 'no forms in the print view');
      const text = await page.locator('main').innerText();
      assert.match(text, new RegExp(`${state.childName} さん`));
      assert.match(text, /体調不良時の連絡票を作る/);
      assert.match(text, /医療受給者証\s*表示しない/);
      await checkA11y(page, '/conferences/{id}/print');
      await screenshot(page, 'conference-print');
    });
  });

  test('nurse@demo-pref: another tenant’s conference is not found', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-pref');
      for (const p of [`/conferences/${state.conferenceId}`, `/conferences/${state.conferenceId}/print`, `/children/${state.childId}/conferences/new`]) {
        const res = await visit(page, p);
        assert.equal(res.status(), 404, p);
        assert.doesNotMatch(await page.locator('main').innerText(), new RegExp(stamp), 'no trace of the conference');
      }
      await checkA11y(page, '404 (other tenant)');
    });
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = [
      '/children/{id}/conferences/new',
      '/children/{id}/conferences/new (error)',
      '/conferences/{id}',
      '/conferences/{id} (refused)',
      '/conferences/{id} (participants)',
      '/conferences/{id} (outcomes)',
      '/conferences/{id} (reflected)',
      '/children/{id}/plan (after the conference)',
      '/children/{id} (conference)',
      '/conferences/{id}/print',
      '404 (other tenant)',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
