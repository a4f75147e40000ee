// Swagger UI at /docs in a real browser: Debian's chromium, driven by playwright-core (no browser
// download), against the real app on a real port. It catches what an HTTP-level test cannot: a
// security header or CSP that stops the page's scripts, a missing static file, an operation the
// UI cannot render, an Authorize dialog whose key never reaches the request.
// SWAGGER_UI_SCREENSHOTS=<dir> saves what the browser saw, for a look by eye.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestApp, type TestApp } from '../helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const onCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
const hasChromium = existsSync(CHROMIUM);
// Developers without chromium skip; on CI (.ci/run installs Debian's chromium) its absence fails.
const skip = !hasChromium && !onCi;
if (skip) console.warn(`test/browser/swagger-ui.test.ts skipped: ${CHROMIUM} is not installed (apt-get install chromium) and CI is not set`);

const UI_TIMEOUT_MS = 20_000;
// Several UI steps each; generous, since the suite shares the machine with other test files.
const TEST_TIMEOUT_MS = 90_000;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const screenshotDir = process.env.SWAGGER_UI_SCREENSHOTS;

/** Every operation of the committed openapi.yaml, as `GET /v1/models`. */
function documentedOperations(): string[] {
  const document = parseYaml(readFileSync(path.resolve(import.meta.dirname, '../../openapi.yaml'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([route, item]) =>
    Object.keys(item)
      .filter((key) => HTTP_METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${route}`),
  );
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!screenshotDir) return;
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: name.endsWith('-full') });
}

const suiteName = skip
  ? `Swagger UI at /docs in headless Chromium (skipped: ${CHROMIUM} is not installed and CI is not set)`
  : 'Swagger UI at /docs in headless Chromium';

describe.skipIf(skip)(suiteName, () => {
  let testApp: TestApp;
  let browser: Browser;
  let page: Page;
  let origin: string;
  // What went wrong in the page; checked after each test (page load included, in the first).
  const consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const externalRequests: string[] = [];

  beforeAll(async () => {
    if (!hasChromium) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (apt-get install chromium) for this test`);
    testApp = await createTestApp();
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    origin = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The page must work offline: anything it fetches from elsewhere is refused and reported.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      externalRequests.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text().slice(0, 400));
    });
    page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.request().method()} ${response.url()}: ${response.status()}`);
    });

    const response = await page.goto(`${origin}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor();
  }, TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
  });

  // No console error, no failed or 4xx/5xx resource, nothing fetched from another origin: a CSP or
  // security header that blocks the page's own scripts or styles shows up here.
  afterEach(() => {
    expect(consoleErrors, 'console errors in the page').toEqual([]);
    expect(failedRequests, 'requests that failed').toEqual([]);
    expect(externalRequests, 'requests to other origins').toEqual([]);
  });

  it(
    'renders every operation of openapi.yaml, and no other, without errors in the page',
    async () => {
      await screenshot(page, 'docs');
      const rendered = await page
        .locator('.opblock')
        .evaluateAll((blocks) =>
          blocks.map(
            (block) =>
              `${block.querySelector('.opblock-summary-method')?.textContent?.trim()} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
          ),
        );
      const expected = documentedOperations();
      expect(expected.length).toBeGreaterThan(0);
      expect([...new Set(rendered)].sort()).toEqual([...new Set(expected)].sort());
      expect(await page.locator('.information-container .title').textContent()).toContain('Session State Service');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'runs "Try it out" on GET /v1/models with the key entered in the Authorize dialog and shows 200',
    async () => {
      const { apiKey } = await testApp.newProject();

      await page.locator('.auth-wrapper .btn.authorize').click();
      const apiKeyForm = page.locator('.modal-ux .auth-container').filter({ has: page.locator('h4 code', { hasText: /^apiKey$/ }) });
      await apiKeyForm.locator('input').fill(apiKey);
      await apiKeyForm.locator('button.authorize').click();
      // Once authorized, the form offers Logout instead.
      await apiKeyForm.locator('button', { hasText: 'Logout' }).waitFor();
      await screenshot(page, 'authorized');
      await page.locator('.modal-ux button.close-modal').click();

      const operation = page.locator('#operations-models-listModels');
      await operation.locator('.opblock-summary').click();
      await operation.locator('.try-out__btn').click();
      await operation.locator('button.execute').click();

      const status = operation.locator('.live-responses-table .response .response-col_status');
      await status.waitFor();
      await operation.scrollIntoViewIfNeeded();
      await screenshot(page, 'try-it-out');
      expect((await status.textContent())?.trim()).toBe('200');
      // The request really carried the key, and the body is the live list of models.
      expect(await operation.locator('.curl-command').textContent()).toContain(`Authorization: Bearer ${apiKey}`);
      const body = await operation.locator('.live-responses-table .response-col_description .microlight').first().textContent();
      const models = JSON.parse(body ?? 'null') as { model: string; context_window: number }[];
      expect(models.map((entry) => entry.model)).toEqual(testApp.config.models.map((entry) => entry.model));
    },
    TEST_TIMEOUT_MS,
  );

  // The body Swagger UI prefills is the documented example (test/api/openapi-examples.test.ts runs
  // every one over HTTP); here the UI itself sends it, with the key authorized above.
  it(
    'executes POST /v1/sessions on the prefilled example body and shows 201 with the new session',
    async () => {
      const operation = page.locator('#operations-sessions-createSession');
      await operation.locator('.opblock-summary').click();
      await operation.locator('.try-out__btn').click();
      const prefilled = JSON.parse(await operation.locator('textarea.body-param__text').inputValue()) as { task_id: string; model: string };
      expect(prefilled.model).not.toBe('string');
      await operation.locator('button.execute').click();

      const status = operation.locator('.live-responses-table .response .response-col_status');
      await status.waitFor();
      await operation.scrollIntoViewIfNeeded();
      await screenshot(page, 'create-session');
      expect((await status.textContent())?.trim()).toBe('201');
      const body = await operation.locator('.live-responses-table .response-col_description .microlight').first().textContent();
      const session = JSON.parse(body ?? 'null') as { session_id: string; task_id: string; model: string };
      expect(session).toMatchObject({ task_id: prefilled.task_id, model: prefilled.model });
      expect(session.session_id).toMatch(/^sess_[0-9a-f]{32}$/);
    },
    TEST_TIMEOUT_MS,
  );
});
