// Foundation: sign-in/out, roles and menus, user administration, error pages.
// Every page visited is checked with axe-core, and no request may leave the server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BASE_URL,
  DB,
  checkA11y as axeCheck,
  login,
  loginOk,
  logout,
  openSession,
  screenshot,
  texts,
  url,
  visit,
} from '../lib.mjs';

const DEMO_CITY_LOGINS = ['tenant_admin', 'nurse', 'support_worker', 'contractor', 'partner', 'auditor'].map(
  (r) => `${r}@demo-city`,
);
const NEW_USER_PASSWORD = 'e2e-Passw0rd-1';

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

describe(`yorube foundation (${DB} at ${BASE_URL})`, () => {
  test('nurse@demo-city signs in, sees home with tenant and name, the casework menu (no administration), and signs out', async () => {
    await withSession(async (page) => {
      const res = await visit(page, '/login');
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), 'ログイン');
      assert.equal(await page.locator('input[type=hidden][name=_csrf]').count(), 1, 'login form has a _csrf field');
      await checkA11y(page, '/login');
      await screenshot(page, 'login');

      await loginOk(page, 'nurse@demo-city');
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await h1(page), 'ホーム');
      const header = await page.locator('header').innerText();
      assert.match(header, /デモ市/, 'header shows the tenant');
      assert.match(header, /高橋 美穂/, 'header shows the user name');
      // The menu grows as features land: check what must and must not be there.
      const nav = await navLabels(page);
      assert.equal(nav[0], 'ホーム');
      for (const l of ['子ども・家族', 'フォローアップ', 'つなぐ支援', '関係機関']) assert.ok(nav.includes(l), `a nurse's menu has ${l} (${nav})`);
      for (const l of ['利用者', '監査ログ', '実施主体']) assert.ok(!nav.includes(l), `a nurse's menu has no ${l} (${nav})`);
      assert.equal(
        await page.locator('nav[aria-label="メインメニュー"] a[aria-current="page"]').innerText(),
        'ホーム',
        'the current page is marked in the menu',
      );
      await checkA11y(page, '/');
      await screenshot(page, 'home');

      await logout(page);
      const u = new URL(page.url());
      assert.equal(u.pathname, '/login');
      assert.equal(u.searchParams.get('bye'), '1');
      await page.getByText('ログアウトしました。').waitFor();
      await checkA11y(page, '/login?bye=1');

      // The session is really gone: home now sends us back to the login page.
      await visit(page, '/');
      assert.equal(new URL(page.url()).pathname, '/login');
    });
  });

  test('a wrong password re-renders the login form with the Japanese error and HTTP 401', async () => {
    await withSession(async (page) => {
      const res = await login(page, 'nurse@demo-city', 'definitely-not-the-password');
      assert.equal(res.status(), 401);
      assert.equal(new URL(page.url()).pathname, '/login');
      const alert = page.getByRole('alert');
      assert.equal((await alert.innerText()).trim(), 'ログインIDまたはパスワードが正しくありません。');
      assert.equal(await page.locator('input#login').inputValue(), 'nurse@demo-city', 'the login id is kept');
      assert.equal(await page.locator('input#password').inputValue(), '', 'the password is not echoed back');
      assert.equal(await page.getByRole('button', { name: 'ログアウト' }).count(), 0);
      await checkA11y(page, '/login (error)');
      await screenshot(page, 'login-error');
    });
  });

  test('tenant_admin@demo-city sees only demo-city users on /users', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      const nav = await navLabels(page);
      for (const l of ['ホーム', '子ども・家族', '関係機関', '利用者', '監査ログ']) assert.ok(nav.includes(l), `the admin's menu has ${l} (${nav})`);
      assert.ok(!nav.includes('実施主体'), `only sysadmin manages tenants (${nav})`);
      const res = await visit(page, '/users');
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), '利用者');
      const logins = await texts(page, 'table tbody tr td:nth-child(2) code');
      for (const l of DEMO_CITY_LOGINS) assert.ok(logins.includes(l), `${l} is listed`);
      const foreign = logins.filter((l) => !l.endsWith('@demo-city'));
      assert.deepEqual(foreign, [], 'no user outside demo-city (no demo-pref, no sysadmin) is listed');
      const tenants = new Set(await texts(page, 'table tbody tr td:nth-child(4)'));
      assert.deepEqual([...tenants], ['デモ市']);
      await checkA11y(page, '/users');
      await screenshot(page, 'users');
    });
  });

  test('tenant_admin@demo-city creates a user via /users/new and lands on its page with a notice', async () => {
    const stamp = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
    const newLogin = `e2e-${stamp}`;
    const newName = `試験 太郎${stamp.slice(-4)}`;
    await withSession(async (page) => {
      await loginOk(page, 'tenant_admin@demo-city');
      await visit(page, '/users');
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('link', { name: '利用者を登録' }).click(),
      ]);
      assert.equal(new URL(page.url()).pathname, '/users/new');
      assert.equal(await h1(page), '利用者の登録');
      await checkA11y(page, '/users/new');

      await page.getByLabel('氏名').fill(newName);
      await page.getByLabel('ログインID').fill(newLogin);
      await page.getByLabel('役割').selectOption('support_worker');
      await page.getByLabel('初期パスワード').fill(NEW_USER_PASSWORD);
      const [res] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('button', { name: '登録する' }).click(),
      ]);
      assert.equal(res.status(), 200);
      assert.match(new URL(page.url()).pathname, /^\/users\/[^/]+$/, `landed on the user's page (${page.url()})`);
      assert.equal(await h1(page), newName);
      assert.equal((await page.getByRole('status').innerText()).trim(), '利用者を登録しました。');
      const facts = await page.locator('dl.facts').innerText();
      assert.match(facts, new RegExp(`${newLogin}@demo-city`));
      assert.match(facts, /自立支援員/);
      assert.match(facts, /デモ市/);
      await checkA11y(page, '/users/{id}');
      await screenshot(page, 'user');

      // The new user shows up in the list.
      await visit(page, '/users');
      assert.ok((await texts(page, 'table tbody td code')).includes(`${newLogin}@demo-city`));

      // The audit log is readable and accessible.
      const audit = await visit(page, '/audit');
      assert.equal(audit.status(), 200);
      assert.equal(await h1(page), '監査ログ');
      assert.ok((await page.locator('table tbody tr').count()) > 0, 'the audit log has rows');
      await checkA11y(page, '/audit');

      // A POST without the _csrf field is refused, even with a valid session.
      const forged = await page.request.post(url('/users'), {
        form: { display_name: 'csrf 試験', login: `${newLogin}-x`, role: 'nurse', password: NEW_USER_PASSWORD },
        maxRedirects: 0,
      });
      assert.equal(forged.status(), 403, 'POST without _csrf is 403');
      await logout(page);
    });

    // The new account can sign in with its initial password.
    await withSession(async (page) => {
      await loginOk(page, `${newLogin}@demo-city`, NEW_USER_PASSWORD);
      assert.equal(await h1(page), 'ホーム');
      assert.match(await page.locator('header').innerText(), new RegExp(newName));
    });
  });

  test('a nurse gets the 403 page on /users and /audit, and everyone gets the 404 page for an unknown URL', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'nurse@demo-city');
      for (const p of ['/users', '/users/new', '/audit', '/tenants']) {
        const res = await visit(page, p);
        assert.equal(res.status(), 403, `${p} is 403 for a nurse`);
        assert.equal(await h1(page), '権限がありません', `${p} shows the 403 page`);
      }
      await visit(page, '/users');
      await checkA11y(page, '403');
      await screenshot(page, 'forbidden');

      const res = await visit(page, '/no-such-page/e2e');
      assert.equal(res.status(), 404);
      assert.equal(await h1(page), '見つかりません');
      await checkA11y(page, '404');
      await screenshot(page, 'not-found');
    });
  });

  test('sysadmin sees /tenants with both demo tenants, and all users on /users', async () => {
    await withSession(async (page) => {
      await loginOk(page, 'sysadmin');
      const nav = await navLabels(page);
      assert.ok(nav.includes('実施主体'), `sysadmin's menu has 実施主体 (${nav.join(', ')})`);

      const res = await visit(page, '/tenants');
      assert.equal(res.status(), 200);
      assert.equal(await h1(page), '実施主体');
      const codes = await texts(page, 'table tbody td:first-child code');
      assert.ok(codes.includes('demo-city') && codes.includes('demo-pref'), `both demo tenants listed (${codes})`);
      await checkA11y(page, '/tenants');
      await screenshot(page, 'tenants');

      await visit(page, '/users');
      const logins = await texts(page, 'table tbody td:nth-child(2) code');
      for (const l of ['sysadmin', 'nurse@demo-city', 'nurse@demo-pref']) assert.ok(logins.includes(l), `${l} listed`);
      await checkA11y(page, '/users (sysadmin)');

      await visit(page, '/users/new');
      assert.equal(await page.locator('input#tenant').count(), 1, 'sysadmin picks the tenant');
      await checkA11y(page, '/users/new (sysadmin)');

      await visit(page, '/audit');
      await checkA11y(page, '/audit (sysadmin)');
    });
  });

  test('pages render under the real strict CSP without violations (no bypass)', async () => {
    await withSession(
      async (page) => {
        const cspErrors = [];
        page.on('console', (m) => {
          if (/Content Security Policy/i.test(m.text())) cspErrors.push(`${page.url()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => cspErrors.push(`${page.url()}: ${e.message}`));
        const res = await visit(page, '/login');
        const csp = res.headers()['content-security-policy'] ?? '';
        assert.match(csp, /script-src 'self'/, `strict CSP header is sent (${csp})`);
        await loginOk(page, 'tenant_admin@demo-city');
        for (const p of ['/', '/users', '/users/new', '/audit', '/nowhere']) await visit(page, p);
        // The stylesheet really applied (it is an external file, allowed by the CSP).
        const bg = await page.locator('header.site-header').evaluate((e) => getComputedStyle(e).backgroundColor);
        assert.equal(bg, 'rgb(31, 95, 139)', 'the header has the brand colour from yorube.css');
        assert.deepEqual(cspErrors, []);
      },
      { bypassCSP: false },
    );
  });

  test('axe-core checked every page the suite is meant to cover', () => {
    const required = ['/login', '/login (error)', '/', '/users', '/users/new', '/users/{id}', '/audit', '/tenants', '403', '404'];
    assert.deepEqual(required.filter((p) => !checked.has(p)), [], 'pages never checked by axe-core (an earlier test failed before reaching them)');
  });
});
