// The portal in a real browser (Debian's chromium, driven by playwright-core): an applicant
// drafts, attaches and submits a request; the reviewers and the minister take it through
// article6-2-standard; the applicant downloads the letter; /verify says the letter is genuine
// and a copy with one byte changed is not. Run by run-portal-tests.sh (ctest e2e.portal), which
// starts the server; every wait is on a condition, never a fixed sleep.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.A6_URL;
const PASSWORD = fs.readFileSync(process.env.A6_PASSWORD_FILE, 'utf8').trim();
const SHOTS = process.env.A6_SCREENSHOTS;
const DOWNLOADS = process.env.A6_DOWNLOADS;
const SAMPLE_PDF = process.env.A6_SAMPLE_PDF;
const TIMEOUT = 20000;

let browser;
const state = { requestId: null, letter: null, reference: null };

before(async () => {
  fs.mkdirSync(DOWNLOADS, { recursive: true });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
});

async function newPage() {
  const context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB', viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of (4\d\d)/.test(m.text())) problems.push(`console: ${m.text()}`); });
  page.problems = problems;
  return page;
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page, user) {
  await page.goto(`${BASE}/`);
  await page.locator('#username').waitFor();
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await page.click('form button[type=submit]');
  await page.locator('#sign-out').waitFor();
}

// Waits until the element's text contains `text`.
async function waitText(page, selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor();
}

async function openFromQueue(page) {
  await page.goto(`${BASE}/#/queue`);
  await page.locator(`#queue a[href="/#/requests/${state.requestId}"]`).click();
  await page.locator('#actions-title').waitFor();
}

async function decide(page, event, expectSelector, expectText, comment) {
  if (comment) await page.fill('#decision-comment', comment);
  await page.click(`button[data-event="${event}"]`);
  await waitText(page, expectSelector, expectText);
}

test('the sign-in refuses a wrong password and the pages have no inline-script errors', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.locator('#username').waitFor();
  await shot(page, '01-sign-in');
  await page.fill('#username', 'ada');
  await page.fill('#password', 'not the password');
  await page.click('form button[type=submit]');
  await waitText(page, '#alert', 'The user name or the password is not right');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an applicant drafts a request, sees a server field error beside its field, attaches a file and submits', async () => {
  const page = await newPage();
  await signIn(page, 'ada');
  await page.click('a[href="/#/requests/new"] >> nth=0');
  await page.locator('#request-form').waitFor();

  // A host country the client accepts (three capitals) but the server refuses: not this Party.
  await page.fill('#f-activity-title', 'Solar mini-grids for the Volta region');
  await page.fill('#f-activity-host_country', 'CHE');
  await page.click('#save');
  await waitText(page, '#f-activity-host_country-error', 'GHA');
  assert.equal(await page.getAttribute('#f-activity-host_country', 'aria-invalid'), 'true');
  assert.match(await page.getAttribute('#f-activity-host_country', 'aria-describedby'), /f-activity-host_country-error/);
  await shot(page, '02-field-error-from-server');
  assert.doesNotMatch(await page.innerText('main'), /\bnull\b|undefined/, 'no stray null or undefined on the form');

  await page.fill('#f-activity-host_country', '');
  await page.fill('#f-applicant-contact_name', 'Ama Mensah');
  await page.fill('#f-applicant-contact_email', 'ama.mensah@volta-cookstoves.example');
  await page.fill('#f-activity-description', 'Solar mini-grids replacing diesel generators in 40 villages.');
  await page.check('#f-activity-sector-0');
  await page.check('#f-activity-activity_type-0');
  await page.fill('#f-activity-standard', 'GS');
  await page.fill('#f-activity-methodology', 'AMS-I.L');
  await page.fill('#f-activity-crediting_period-from', '2025-01-01');
  await page.fill('#f-activity-crediting_period-to', '2034-12-31');
  await page.fill('#f-authorisation-cooperative_approach_id', 'CA0042');
  await page.fill('#f-authorisation-requested_quantity', '250000');
  await page.selectOption('#f-authorisation-metric', 'GHG');
  await page.selectOption('#f-authorisation-gwp_values', 'AR5');
  await page.selectOption('#f-authorisation-purposes', 'NDC and OIMP');
  await page.fill('#f-authorisation-oimp_authorized', 'CORSIA');
  await page.selectOption('#f-authorisation-first_transfer_definition', 'Issuance');
  await page.fill('#f-authorisation-authorized_parties', 'CHE');
  await page.click('#add-entity');
  await page.fill('#f-authorisation-authorized_entities-0-name', 'KliK Foundation');
  await page.fill('#f-authorisation-authorized_entities-0-country', 'CHE');
  await page.fill('#f-authorisation-vintages-from', '2025');
  await page.fill('#f-authorisation-vintages-to', '2030');
  await page.selectOption('#f-authorisation-underlying_unit_registry', 'GS');
  await page.click('#save');

  // Saved: the draft's own form, with attachments now possible.
  await page.waitForURL(/#\/requests\/req_[0-9A-Z]+\/edit$/);
  state.requestId = /requests\/(req_[0-9A-Z]+)\/edit/.exec(page.url())[1];
  await page.locator('#attachment-file').waitFor();
  assert.equal(await page.inputValue('#f-authorisation-cooperative_approach_id'), 'CA0042', 'the draft resumes with its values');
  await shot(page, '03-request-form');

  await page.setInputFiles('#attachment-file', SAMPLE_PDF);
  await page.click('#attachment-upload');
  await waitText(page, '#attachment-list', 'sample-pdd.pdf');
  assert.equal(await page.getAttribute('#attachment-progress', 'value'), '100');

  // An edit after the upload still carries the right version (If-Match).
  await page.fill('#f-activity-region', 'Volta');
  await page.click('#save');
  await waitText(page, '#status', 'Draft saved');

  await page.goto(`${BASE}/#/requests/${state.requestId}`);
  await waitText(page, '#completeness', 'complete');
  await decide(page, 'submit', '#request-state', 'In review');
  await waitText(page, '#request-stage', 'Screening');
  await waitText(page, '#timeline', 'Submitted');
  await page.locator('#workflow-picture svg .wf-current').waitFor();
  await shot(page, '04-request-submitted');
  assert.doesNotMatch(await page.innerText('main'), /\bnull\b|undefined/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('two reviewers and the minister take it through article6-2-standard', async () => {
  const rita = await newPage();
  await signIn(rita, 'rita');
  await rita.locator(`#queue a[href="/#/requests/${state.requestId}"]`).waitFor();
  await shot(rita, '05-queue');
  await openFromQueue(rita);
  // A comment is required to request changes: the page says so before the server would.
  await rita.click('button[data-event="request_changes"]');
  await waitText(rita, '#decision-comment-error', 'comment');
  await shot(rita, '06-review-screening');
  await decide(rita, 'accept', '#request-stage', 'Technical review');
  await rita.context().close();

  const ravi = await newPage();
  await signIn(ravi, 'ravi');
  await openFromQueue(ravi);
  await decide(ravi, 'endorse', '#timeline', 'ravi');
  await waitText(ravi, '#request-stage', 'Technical review');
  await ravi.context().close();

  const rosa = await newPage();
  await signIn(rosa, 'rosa');
  await openFromQueue(rosa);
  await decide(rosa, 'endorse', '#request-stage', 'Ministerial approval');
  await rosa.context().close();

  const amina = await newPage();
  await signIn(amina, 'amina');
  await openFromQueue(amina);
  await shot(amina, '07-review-minister');
  await decide(amina, 'approve', '#request-state', 'Authorised', 'Authorised under the bilateral agreement.');
  await amina.locator('#authorisation-link').waitFor();
  await amina.click('#authorisation-link');
  await amina.locator('#versions-title').waitFor();
  await amina.locator('#revocation-form').waitFor();
  await shot(amina, '08-authorisation');
  assert.deepEqual(amina.problems, []);
  await amina.context().close();
});

test('the applicant downloads the letter', async () => {
  const page = await newPage();
  await signIn(page, 'ada');
  await page.goto(`${BASE}/#/requests/${state.requestId}`);
  const button = page.locator('#letters button[data-reference]').first();
  await button.waitFor();
  state.reference = await button.getAttribute('data-reference');
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  state.letter = path.join(DOWNLOADS, 'letter.pdf');
  await download.saveAs(state.letter);
  const bytes = fs.readFileSync(state.letter);
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  await shot(page, '09-request-authorised');
  await page.context().close();
});

async function dropFile(page, bytes, name) {
  const dataTransfer = await page.evaluateHandle(({ b64, fileName }) => {
    const raw = atob(b64);
    const arr = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += 1) arr[i] = raw.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([arr], fileName, { type: 'application/pdf' }));
    return dt;
  }, { b64: bytes.toString('base64'), fileName: name });
  await page.dispatchEvent('#dropzone', 'dragenter', { dataTransfer });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
}

test('the letter dropped on /verify is genuine; a copy with one byte changed is not', async () => {
  const page = await newPage();  // not signed in: verification is public
  await page.goto(`${BASE}/verify?reference=${encodeURIComponent(state.reference)}`);
  await waitText(page, '#verify-wanted', state.reference);
  const letter = fs.readFileSync(state.letter);
  await dropFile(page, letter, 'letter.pdf');
  await page.locator('#verify-result[data-result="valid"]').waitFor();
  await waitText(page, '#verify-result', 'Genuine and unaltered');
  await waitText(page, '#verify-result', state.reference);
  await waitText(page, '#verify-result', 'In force');
  await shot(page, '10-verify-genuine');
  assert.doesNotMatch(await page.innerText('main'), /\bnull\b|undefined/);

  // One byte changed inside the first signed range.
  const m = /\/ByteRange\s*\[\s*0\s+(\d+)/.exec(letter.toString('latin1'));
  assert.ok(m, 'the letter has a signature');
  const tampered = Buffer.from(letter);
  const at = Math.floor(Number(m[1]) / 2);
  tampered[at] = tampered[at] === 0x41 ? 0x42 : 0x41;
  await page.setInputFiles('#verify-file', { name: 'tampered.pdf', mimeType: 'application/pdf', buffer: tampered });
  await page.locator('#verify-result[data-result="invalid"]').waitFor();
  await waitText(page, '#verify-result', 'Not genuine');
  await shot(page, '11-verify-tampered');

  // The same page in French: words and dates follow the chosen language.
  await page.selectOption('#language', 'fr');
  await waitText(page, 'h1', 'Vérifier une lettre');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await shot(page, '12-verify-fr');
  await page.selectOption('#language', 'es');
  await waitText(page, 'h1', 'Verificar una carta');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
