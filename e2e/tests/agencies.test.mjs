// 関係機関台帳 (agency registry): list and search, detail, creation with validation,
// the scene matrix, import preview and commit, export links, the partner's own page
// and proposals. Every page visited is checked with axe-core, and no request may leave
// the server.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import {
  BASE_URL,
  DB,
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
const navLabels = (page) => texts(page, 'nav[aria-label="メインメニュー"] a');
const path = (page) => new URL(page.url()).pathname;

/** Clicks something that submits or navigates, and waits for the next page. */
async function clickAndWait(page, locator) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return res;
}

/** The same folding the app's search uses: NFKC, lower case, ひらがな, no whitespace. */
function searchKey(s) {
  return s
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .toLowerCase()
    .replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));
}

// The registry sorts by reading without a leading legal form (NPO法人 …), as 50音順 lists do.
const LEGAL_FORMS = [
  'とくていひえいりかつどうほうじん', 'えぬぴーおーほうじん', 'npoほうじん', 'npo法人', 'いっぱんしゃだんほうじん',
  'いっぱんざいだんほうじん', 'こうえきしゃだんほうじん', 'こうえきざいだんほうじん', 'しゃかいふくしほうじん',
  'いりょうほうじん', 'がっこうほうじん', 'かぶしきがいしゃ',
];
function sortKey(reading) {
  const k = searchKey(reading);
  for (const f of LEGAL_FORMS) if (k.startsWith(f) && k.length > f.length) return k.slice(f.length);
  return k;
}

/** The number in 「…: N 件」 of the list page. */
async function resultCount(page) {
  const t = await page.locator('p.result-count').innerText();
  const m = t.match(/:\s*(\d+)\s*件/);
  assert.ok(m, `result count line: ${t}`);
  return Number(m[1]);
}

/** Rows of the list page: [{ name, reading, href }]. */
async function listRows(page) {
  return page.locator('table.table tbody tr td:first-child').evaluateAll((tds) =>
    tds.map((td) => ({
      name: td.querySelector('a')?.textContent.trim() ?? '',
      href: td.querySelector('a')?.getAttribute('href') ?? '',
      reading: td.querySelector('.reading')?.textContent.trim() ?? '',
    })),
  );
}

/** Searches with the search box (#q) and the 検索 button, as a user does. */
async function search(page, q) {
  await visit(page, '/agencies');
  await page.locator('#q').fill(q);
  await clickAndWait(page, page.locator('form[role=search]').getByRole('button', { name: '検索' }));
  assert.equal(path(page), '/agencies');
  assert.equal(new URL(page.url()).searchParams.get('q'), q, 'the query is in the URL');
  assert.equal(await page.locator('#q').inputValue(), q, 'the search box keeps the query');
}

const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
// A random katakana word makes the new agency easy to find, and nothing else matches it.
const KANA = 'アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワ';
const word = Array.from({ length: 4 }, () => KANA[Math.floor(Math.random() * KANA.length)]).join('');
const toHira = (s) => s.replace(/[\u30a1-\u30f6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));

// Shared between tests: the agency created through /agencies/new.
const created = {
  name: `E2E ${word}療育相談室`,
  readingTyped: `イーツーイー ${word}リョウイクソウダンシツ`,
  reading: `いーつーいー ${toHira(word)}りょういくそうだんしつ`,
  field: '障害',
  address: 'デモ市本町1-2-3',
  url: `https://e2e-${stamp}.example.jp/`,
  id: null,
};

/** A CSV as Excel writes it with 「CSV UTF-8」: BOM, CRLF. */
function csvFile(name, rows) {
  const header = ['分野', '関係機関名', '所在地', '関係機関の概要', 'サイト', '新規の関係機関'];
  const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
  return { name, mimeType: 'text/csv', buffer: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]) };
}

const importNames = [`E2E取込 ${stamp} 放課後サロン`, `E2E取込 ${stamp} 家族相談室`];
const goodRows = [
  ['福祉', importNames[0], 'デモ市中央1-1', '放課後の居場所。病気のある子も利用できる。', 'https://salon.example.jp/', '○'],
  ['家族会・患者会', importNames[1], 'デモ市南町2-2', 'きょうだい児と保護者の相談。', '', '-'],
];
const badRow = ['宇宙', `E2E取込 ${stamp} 宇宙センター`, 'デモ市北町3-3', '分野が一覧にない行', '', ''];

describe(`yorube agency registry (${DB} at ${BASE_URL})`, () => {
  test('nurse@demo-city: /agencies lists agencies by reading with a count; search, filters, detail page', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      assert.ok((await navLabels(page)).includes('関係機関'), 'the menu has 関係機関');
      const res = await visit(page, '/agencies');
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), '関係機関台帳');
      const countText = await page.locator('p.result-count').innerText();
      assert.match(countText, /^登録されている関係機関: \d+ 件/, countText);
      const total = await resultCount(page);
      assert.ok(total >= 50, `the demo registry has about 61 agencies (${total})`);

      const rows = await listRows(page);
      assert.equal(rows.length, Math.min(total, 50), 'the first page shows up to 50 rows');
      const keys = rows.map((r) => sortKey(r.reading || r.name));
      const outOfOrder = keys.map((k, i) => [k, i]).filter(([k, i]) => i > 0 && keys[i - 1] > k);
      assert.deepEqual(
        outOfOrder.map(([, i]) => `${rows[i - 1].reading} > ${rows[i].reading}`),
        [],
        'rows are sorted by reading (ふりがな順, legal forms such as NPO法人 ignored)',
      );
      await checkA11y(page, '/agencies');
      await screenshot(page, 'agencies');

      // Each query finds something, and every hit contains the query (folded) in its
      // name or reading, or — when the match is in the overview, services etc. — on its page.
      for (const q of ['腎', '学校', 'ｺﾄﾞﾓ', 'こども']) {
        await search(page, q);
        const n = await resultCount(page);
        assert.match(await page.locator('p.result-count').innerText(), /^条件に合う関係機関: \d+ 件/);
        assert.ok(n > 0, `「${q}」 finds agencies`);
        const hits = await listRows(page);
        assert.equal(hits.length, Math.min(n, 50));
        const needle = searchKey(q);
        const inNameOrReading = hits.filter((h) => searchKey(h.name).includes(needle) || searchKey(h.reading).includes(needle));
        assert.ok(inNameOrReading.length > 0, `some hits for 「${q}」 have it in the name or reading`);
        for (const h of hits.filter((x) => !inNameOrReading.includes(x))) {
          const r = await page.request.get(url(h.href));
          const body = searchKey((await r.text()).replace(/<[^>]+>/g, ''));
          assert.ok(body.includes(needle), `hit ${h.name} for 「${q}」 contains it somewhere on its page`);
        }
        if (q === '腎') {
          assert.ok(hits.some((h) => h.name.includes('腎臓')), '「腎」 finds the 腎臓 clinic and family group');
          await checkA11y(page, '/agencies?q= (results)');
          await screenshot(page, 'agencies-search');
        }
      }
      // Half-width katakana is folded: ｺﾄﾞﾓ finds exactly what こども finds.
      await search(page, 'ｺﾄﾞﾓ');
      const halfWidth = (await listRows(page)).map((r) => r.href);
      await search(page, 'こども');
      assert.deepEqual((await listRows(page)).map((r) => r.href), halfWidth, 'ｺﾄﾞﾓ and こども give the same hits');

      await search(page, 'ぬぷぽみゅ存在しない機関xq');
      assert.equal(await resultCount(page), 0);
      assert.match(await page.locator('main').innerText(), /条件に合う関係機関はありません/);
      assert.equal(await page.locator('table.table tbody tr').count(), 0);
      await checkA11y(page, '/agencies?q= (no results)');

      // Filter by 分野 教育 (with the select, then the 検索 button).
      await visit(page, '/agencies');
      await page.locator('#field').selectOption('教育');
      await clickAndWait(page, page.locator('form[role=search]').getByRole('button', { name: '検索' }));
      assert.equal(new URL(page.url()).searchParams.get('field'), '教育');
      const edu = await resultCount(page);
      assert.ok(edu > 0 && edu < total, `教育 narrows ${total} to ${edu}`);
      const fields = await texts(page, 'table.table tbody tr td:nth-child(2)');
      assert.equal(fields.length, edu);
      assert.deepEqual([...new Set(fields)], ['教育'], 'every row is 教育');
      // Keyword and filter together.
      await page.locator('#q').fill('学校');
      await clickAndWait(page, page.locator('form[role=search]').getByRole('button', { name: '検索' }));
      const eduSchool = await resultCount(page);
      assert.ok(eduSchool > 0 && eduSchool <= edu, `学校 within 教育: ${eduSchool}`);
      assert.deepEqual([...new Set(await texts(page, 'table.table tbody tr td:nth-child(2)'))], ['教育']);
      await checkA11y(page, '/agencies?field=教育');

      // The detail page of a well-known agency.
      await search(page, 'こども病院');
      const hospital = (await listRows(page)).find((r) => r.name === 'デモ市立こども病院');
      assert.ok(hospital, 'デモ市立こども病院 is found');
      await clickAndWait(page, page.getByRole('link', { name: 'デモ市立こども病院', exact: true }));
      assert.match(path(page), /^\/agencies\/[^/]+$/);
      assert.equal(await h1(page), 'デモ市立こども病院');
      assert.equal(await page.getByRole('heading', { name: '窓口担当者', level: 2 }).count(), 1);
      assert.equal(await page.getByRole('heading', { name: '連携場面', level: 2 }).count(), 1);
      assert.ok((await page.locator('#contacts-heading + .table-wrap tbody tr').count()) > 0, 'the hospital has contact persons');
      assert.ok((await page.locator('#scenes-section tbody tr').count()) > 0, 'the hospital is in some scenes');
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, /分野\s*医療/);
      await checkA11y(page, '/agencies/{id}');
      await screenshot(page, 'agency');
    });
  });

  test('nurse@demo-city creates an agency: an ftp:// site is refused in Japanese with values kept, then saved and found', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, '/agencies');
      await clickAndWait(page, page.getByRole('link', { name: '関係機関を登録' }));
      assert.equal(path(page), '/agencies/new');
      assert.equal(await h1(page), '関係機関の登録');
      await checkA11y(page, '/agencies/new');

      await page.getByLabel('関係機関名').fill(created.name);
      await page.getByLabel('ふりがな').fill(created.readingTyped);
      await page.getByLabel('分野').selectOption(created.field);
      await page.getByLabel('所在地').fill(created.address);
      await page.getByLabel('サイト').fill('ftp://x');
      await page.getByLabel('関係機関の概要').fill('病気のある子どもの療育と家族の相談を受ける。');
      await page.locator('#contact_name_0').fill('試験 花子');
      await page.locator('#contact_phone_0').fill('000-0000-0000');
      const bad = await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.equal(bad.status(), 422, 'a refused form answers 422');
      assert.equal(path(page), '/agencies');
      const alert = page.getByRole('alert');
      const alertText = await alert.innerText();
      assert.match(alertText, /入力内容を確認してください/);
      assert.match(alertText, /サイト|https?:\/\//, `the error is about the site (${alertText})`);
      assert.match(alertText, /[\u3040-\u30ff\u4e00-\u9fff]/, 'the message is in Japanese');
      assert.doesNotMatch(alertText, /\b(invalid|error|must|scheme)\b/i, `no English in the message (${alertText})`);
      // Everything typed is still there.
      assert.equal(await page.getByLabel('関係機関名').inputValue(), created.name);
      assert.equal(await page.getByLabel('分野').inputValue(), created.field);
      assert.equal(await page.getByLabel('所在地').inputValue(), created.address);
      assert.equal(await page.getByLabel('サイト').inputValue(), 'ftp://x');
      assert.equal(await page.locator('#contact_name_0').inputValue(), '試験 花子');
      assert.match(await page.getByLabel('ふりがな').inputValue(), new RegExp(word.slice(0, 1) + '|' + toHira(word).slice(0, 1)));
      await checkA11y(page, '/agencies/new (errors)');
      await screenshot(page, 'agency-new-errors');

      await page.getByLabel('サイト').fill(created.url);
      const ok = await clickAndWait(page, page.getByRole('button', { name: '保存する' }));
      assert.equal(ok.status(), 200);
      assert.match(path(page), /^\/agencies\/[^/]+$/, `landed on the agency page (${page.url()})`);
      created.id = path(page).split('/').pop();
      assert.equal((await page.getByRole('status').first().innerText()).trim(), '関係機関を登録しました。');
      assert.equal(await h1(page), created.name);
      assert.equal((await page.locator('main p.reading').innerText()).trim(), created.reading, 'ふりがな is stored in ひらがな');
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, new RegExp(created.field));
      assert.match(facts, new RegExp(created.address));
      assert.equal(await page.locator('dl.facts a[href^="https://e2e-"]').getAttribute('href'), created.url);
      assert.match(await page.locator('#contacts-heading + .table-wrap').innerText(), /試験 花子/);
      await checkA11y(page, '/agencies/{id} (created)');

      // The search index knows it at once, by its word and by its reading.
      for (const q of [word, toHira(word), `${word}療育`]) {
        await search(page, q);
        const names = (await listRows(page)).map((r) => r.name);
        assert.ok(names.includes(created.name), `「${q}」 finds the new agency (${names.join(', ')})`);
      }
    });
  });

  test('scene matrix: sections by scene, the grid view, and the new agency added to a scene from its page', async () => {
    assert.ok(created.id, 'the agency of the previous test was created');
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, '/agencies');
      await clickAndWait(page, page.getByRole('link', { name: '連携場面の整理' }));
      assert.equal(path(page), '/agencies/matrix');
      assert.equal(await h1(page), '連携場面の整理');
      const sceneHeadings = (await texts(page, 'section.scene-block h2 a'));
      for (const s of ['就学・進学', '在宅・レスパイト', '移行期医療', '復学', '就労', '緊急時']) {
        assert.ok(sceneHeadings.includes(s), `a section for ${s} (${sceneHeadings.join(', ')})`);
      }
      assert.ok((await page.locator('section.scene-block tbody tr').count()) > 0, 'the sections list agencies');
      assert.equal(await page.locator('nav.tabs a[aria-current="page"]').innerText(), '場面ごと');
      await checkA11y(page, '/agencies/matrix');

      await clickAndWait(page, page.locator('nav.tabs').getByRole('link', { name: /一覧表/ }));
      assert.equal(new URL(page.url()).searchParams.get('view'), 'grid');
      const table = page.locator('table.table--matrix');
      assert.equal(await table.count(), 1, 'the grid is a table');
      const cols = await texts(page, 'table.table--matrix thead th');
      assert.equal(cols[0], '関係機関');
      assert.ok(cols.includes('就学・進学') && cols.includes('緊急時'), `scene columns (${cols.join(', ')})`);
      assert.ok((await table.locator('tbody tr').count()) > 0);
      await checkA11y(page, '/agencies/matrix?view=grid');
      await screenshot(page, 'agencies-matrix-grid');

      // Add the new agency to 復学 from its detail page.
      await visit(page, `/agencies/${created.id}`);
      assert.match(await page.locator('#scenes-section').innerText(), /まだ連携場面に入っていません/);
      const form = page.locator('form[action$="/scenes"]');
      await form.getByLabel('連携場面').selectOption({ label: '復学' });
      await form.getByLabel('連携方法').fill(`復学支援会議への参加 ${stamp}`);
      await form.getByLabel('連携内容').fill('退院前に学校と家族の面談を調整する。');
      await clickAndWait(page, form.getByRole('button', { name: '追加する' }));
      assert.equal(path(page), `/agencies/${created.id}`);
      assert.equal((await page.getByRole('status').first().innerText()).trim(), '連携場面を更新しました。');
      const sceneRows = await texts(page, '#scenes-section tbody tr');
      assert.ok(sceneRows.some((r) => r.includes('復学') && r.includes(stamp)), `the scene row is shown (${sceneRows})`);

      await visit(page, '/agencies/matrix');
      const fukugaku = page.locator('section.scene-block').filter({ has: page.getByRole('heading', { name: /^復学/ }) });
      assert.equal(await fukugaku.count(), 1);
      const fr = await fukugaku.locator('tbody').innerText();
      assert.ok(fr.includes(created.name) && fr.includes(`復学支援会議への参加 ${stamp}`), 'the new agency is in the 復学 section');
      await visit(page, '/agencies/matrix?view=grid');
      const row = page.locator('table.table--matrix tbody tr').filter({ hasText: created.name });
      assert.equal(await row.count(), 1, 'the new agency has a row in the grid');
      assert.match(await row.innerText(), new RegExp(`復学支援会議への参加 ${stamp}`));

      // The scene page itself.
      await clickAndWait(page, page.locator('table.table--matrix thead').getByRole('link', { name: '復学' }));
      assert.match(path(page), /^\/agencies\/scenes\/[^/]+$/);
      assert.equal(await h1(page), '連携場面: 復学');
      assert.match(await page.locator('main table').first().innerText(), new RegExp(word));
      await checkA11y(page, '/agencies/scenes/{id}');
    });
  });

  test('export links (xlsx, csv, csv-sjis, hsds) are on /agencies and download the registry', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      await visit(page, '/agencies');
      const hrefs = await page.locator('a[href^="/agencies/export"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      for (const f of ['xlsx', 'csv', 'csv-sjis', 'hsds']) {
        assert.ok(hrefs.includes(`/agencies/export?format=${f}`), `an export link for ${f} (${hrefs.join(', ')})`);
      }
      const labels = await texts(page, 'a[href^="/agencies/export"]');
      assert.deepEqual(labels, ['Excel（.xlsx）', 'CSV（UTF-8）', 'CSV（Shift_JIS）', 'HSDS 3.0（JSON）']);
      // Nurses do not administer the registry: no import link.
      assert.equal(await page.locator('a[href="/agencies/import"]').count(), 0);

      // Each link downloads a file named after the tenant, holding the registry.
      const expected = {
        xlsx: { ext: /\.xlsx$/, magic: (b) => b.subarray(0, 2).toString('latin1') === 'PK' },
        csv: { ext: /\.csv$/, text: (b) => b.toString('utf8') },
        'csv-sjis': { ext: /_sjis\.csv$/, text: (b) => new TextDecoder('shift_jis').decode(b) },
        hsds: { ext: /_hsds\.json$/, text: (b) => b.toString('utf8') },
      };
      const problems = [];
      for (const [format, want] of Object.entries(expected)) {
        const link = page.locator(`a[href="/agencies/export?format=${format}"]`);
        // Either a file is downloaded, or the server answers with a page (an error).
        // (A download aborts the navigation: that rejection must not win the race.)
        const downloaded = page.waitForEvent('download', { timeout: 15_000 }).catch(() => null);
        const errorPage = page.waitForNavigation({ waitUntil: 'load', timeout: 15_000 }).then(() => null, () => new Promise(() => {}));
        await link.click();
        const download = await Promise.race([downloaded, errorPage]);
        if (!download) {
          problems.push(`${format}: no download, the page says 「${(await page.locator('main').innerText()).trim().slice(0, 160)}」`);
          await visit(page, '/agencies');
          continue;
        }
        const name = download.suggestedFilename();
        const file = await download.path();
        const bytes = file ? await readFile(file) : Buffer.alloc(0);
        if (!/^kankei-kikan_demo-city_\d{8}/.test(name) || !want.ext.test(name)) problems.push(`${format}: file name ${name}`);
        if (bytes.length === 0) problems.push(`${format}: empty file`);
        else if (want.magic && !want.magic(bytes)) problems.push(`${format}: not an XLSX (zip) file`);
        else if (want.text) {
          const t = want.text(bytes);
          if (!t.includes('デモ市立こども病院')) problems.push(`${format}: the demo hospital is missing`);
          if (created.id && !t.includes(created.name)) problems.push(`${format}: the agency created by this suite is missing`);
          if (format !== 'hsds' && !/関係機関名/.test(t.split(/\r?\n/)[0])) problems.push(`${format}: no 関係機関名 column in the header (${t.split(/\r?\n/)[0].slice(0, 120)})`);
        }
      }
      assert.deepEqual(problems, [], 'every export downloads a proper file');
    });
  });

  test('tenant_admin@demo-city: import preview lists problems (no commit), a corrected file is committed', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/agencies');
      const before = await resultCount(page);
      await clickAndWait(page, page.getByRole('link', { name: 'Excel・CSVから取り込む' }));
      assert.equal(path(page), '/agencies/import');
      assert.equal(await h1(page), '関係機関の取り込み');
      await checkA11y(page, '/agencies/import');

      // A file with one bad row (分野 宇宙): problems are listed, nothing can be committed.
      await page.getByLabel(/ファイル/).setInputFiles(csvFile(`kankei-${stamp}-bad.csv`, [...goodRows, badRow]));
      const res = await clickAndWait(page, page.getByRole('button', { name: '内容を確認する' }));
      const formatError = page.locator('.notice--error');
      if (await h1(page) !== '取り込みの確認') {
        const msg = (await formatError.count()) ? await formatError.innerText() : await page.locator('main').innerText();
        assert.fail(`a valid UTF-8 CSV was not read (HTTP ${res.status()}): ${msg.trim()} — is the import reader in this binary?`);
      }
      assert.equal(res.status(), 200);
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, /CSV/i, `the format is shown (${facts})`);
      const problemTable = page.locator('table').filter({ has: page.locator('caption', { hasText: '問題の一覧' }) });
      assert.equal(await problemTable.count(), 1, 'the preview shows 問題の一覧');
      const problems = await problemTable.locator('tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())),
      );
      assert.equal(problems.length, 1, `one problem (${JSON.stringify(problems)})`);
      const [, rowNo, column, message] = problems[0];
      assert.equal(rowNo, '4', 'the bad row is row 4 of the file (the header is row 1)');
      assert.equal(column, '分野');
      assert.match(message, /分野「宇宙」は登録されていません/);
      assert.equal(await page.getByRole('button', { name: /まとめて登録する/ }).count(), 0, 'no commit button while there are problems');
      assert.match(await page.getByRole('alert').innerText(), /何も登録していません/);
      await checkA11y(page, '/agencies/import (preview with problems)');
      await screenshot(page, 'agencies-import-problems');

      // Nothing was registered by the preview.
      const check = await page.request.get(url(`/agencies?q=${encodeURIComponent(`E2E取込 ${stamp}`)}`));
      assert.match(await check.text(), /条件に合う関係機関はありません/);

      // The corrected file: the commit button counts the rows.
      await clickAndWait(page, page.getByRole('link', { name: '別のファイルを選ぶ' }));
      await page.getByLabel(/ファイル/).setInputFiles(csvFile(`kankei-${stamp}-ok.csv`, goodRows));
      await clickAndWait(page, page.getByRole('button', { name: '内容を確認する' }));
      assert.equal(await h1(page), '取り込みの確認');
      assert.equal(await page.locator('caption', { hasText: '問題の一覧' }).count(), 0);
      const commit = page.getByRole('button', { name: '2 行をまとめて登録する' });
      assert.equal(await commit.count(), 1, 'the commit button says 「2 行をまとめて登録する」');
      const previewRows = await texts(page, 'table.table--compact tbody tr td:nth-child(3)');
      assert.deepEqual(previewRows, importNames);
      await checkA11y(page, '/agencies/import (preview ready)');

      await clickAndWait(page, commit);
      assert.equal(await h1(page), '取り込みが完了しました');
      assert.match(await page.getByRole('status').last().innerText(), /新しく 2 件を登録しました/);
      await checkA11y(page, '/agencies/import (done)');

      await visit(page, '/agencies');
      assert.equal(await resultCount(page), before + 2, 'two more agencies in the registry');
      await search(page, `E2E取込 ${stamp}`);
      assert.deepEqual((await listRows(page)).map((r) => r.name).sort(), [...importNames].sort());
    });
  });

  test('partner@demo-city: 自機関の情報 in the menu leads to its own agency page with 掲載内容の変更を提案', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'partner@demo-city');
      const nav = await navLabels(page);
      assert.ok(nav.includes('自機関の情報'), `the menu has 自機関の情報 (${nav.join(', ')})`);
      assert.ok(!nav.includes('関係機関'), 'a partner does not browse the whole registry');
      await clickAndWait(page, page.locator('nav[aria-label="メインメニュー"]').getByRole('link', { name: '自機関の情報' }));
      assert.match(path(page), /^\/agencies\/[^/]+$/, `/agencies/mine redirected to the agency page (${page.url()})`);
      const own = path(page);
      assert.equal(await h1(page), 'デモ市立こども病院');
      const propose = page.getByRole('link', { name: '掲載内容の変更を提案' });
      assert.equal(await propose.count(), 1);
      assert.equal(await page.getByRole('link', { name: '編集' }).count(), 0, 'a partner cannot edit directly');
      await checkA11y(page, '/agencies/mine (partner)');

      // /agencies itself sends a partner to the own page as well.
      await visit(page, '/agencies');
      assert.equal(path(page), own);

      await clickAndWait(page, propose);
      assert.equal(path(page), `${own}/propose`);
      assert.equal(await h1(page), '掲載内容の変更を提案');
      await checkA11y(page, '/agencies/{id}/propose');
      await page.getByLabel('開所時間').fill(`平日 8:30〜17:15（E2E ${stamp}）`);
      await clickAndWait(page, page.getByRole('button', { name: '提案を送る' }));
      assert.equal(path(page), own);
      assert.match(await page.getByRole('status').first().innerText(), /変更の提案を送りました/);

      // Another agency's page has no proposal button for this partner.
      const other = await page.request.get(url(`/agencies/${created.id ?? 'none'}/propose`));
      assert.ok([403, 404].includes(other.status()), `proposing for another agency is refused (${other.status()})`);
    });
  });

  test('tenant_admin@demo-city: programs, settings and proposals pages', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/agencies');
      for (const [link, p, heading] of [
        ['近接施策の一覧', '/agencies/programs', '近接施策'],
        ['分野と連携場面の一覧を編集', '/agencies/settings', '分野と連携場面の一覧'],
        ['窓口担当者からの変更提案', '/agencies/proposals', '窓口担当者からの変更提案'],
      ]) {
        await visit(page, '/agencies');
        await clickAndWait(page, page.getByRole('link', { name: link }));
        assert.equal(path(page), p);
        assert.equal(await h1(page), heading);
        if (p === '/agencies/programs') {
          assert.ok((await page.locator('table tbody tr').count()) >= 10, 'the 近接施策 of the guide are listed');
        }
        if (p === '/agencies/settings') {
          assert.match(await page.getByLabel('分野').inputValue(), /教育/);
          assert.match(await page.getByLabel('連携場面').inputValue(), /就学・進学/);
        }
        if (p === '/agencies/proposals') {
          assert.match(await page.locator('main').innerText(), new RegExp(`E2E ${stamp}`), "the partner's proposal is waiting");
        }
        await checkA11y(page, p);
      }
    });
  });

  test('axe-core checked every registry page the suite is meant to cover', () => {
    const required = [
      '/agencies', '/agencies?q= (results)', '/agencies?q= (no results)', '/agencies?field=教育', '/agencies/{id}',
      '/agencies/new', '/agencies/new (errors)', '/agencies/{id} (created)', '/agencies/matrix', '/agencies/matrix?view=grid',
      '/agencies/scenes/{id}', '/agencies/import', '/agencies/import (preview with problems)', '/agencies/programs',
      '/agencies/settings', '/agencies/proposals', '/agencies/mine (partner)', '/agencies/{id}/propose',
    ];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
