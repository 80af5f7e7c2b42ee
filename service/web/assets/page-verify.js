// The public verification page (/verify): anyone drops a letter (or chooses it), the service
// checks its signatures and looks it up among the letters on record. The QR code printed on a
// letter leads here with ?reference=<the letter's reference>.
import { h, clear, put, announce } from './dom.js';
import { t, formatDateTime, formatDate } from './i18n.js';
import { verifyLetter } from './api.js';

function statusText(status) {
  if (!status) return null;
  const m = /^superseded by version (\d+)$/.exec(status);
  if (m) return t('verify.status.superseded', { n: m[1] });
  if (status === 'revoked') return t('verify.status.revoked');
  if (status === 'active') return t('verify.status.active');
  return status;
}

function resultView(v, wanted) {
  const rows = [];
  const row = (label, value) => value && rows.push(h('dt', {}, label), h('dd', {}, value));
  let heading;
  let text;
  let kind;
  if (v.result === 'valid') {
    kind = 'valid';
    heading = t('verify.valid');
    text = t('verify.validText', { ref: v.letter.reference, when: formatDate(v.letter.issued_at.slice(0, 10)) });
    row(t('verify.reference'), v.letter.reference);
    row(t('verify.authorisation'), v.letter.authorisation_ref);
    if (v.letter.authorisation_version) row(t('verify.version'), String(v.letter.authorisation_version));
    row(t('verify.status'), statusText(v.authorisation_status));
  } else if (v.result === 'invalid') {
    kind = 'invalid';
    heading = t('verify.invalid');
    text = t('verify.invalidText', { reason: v.reason });
  } else {
    kind = 'unknown';
    heading = t('verify.unknown');
    text = t('verify.unknownText', { reason: v.reason });
  }
  for (const s of v.signatures || []) {
    row(t('verify.signer'), s.signer);
    if (s.signing_time) row(t('verify.signedAt'), formatDateTime(s.timestamp_time || s.signing_time));
  }
  row(t('verify.sha256'), v.sha256 ? h('code', { class: 'hash' }, v.sha256) : null);
  return h('section', { class: `result result-${kind}`, id: 'verify-result', 'data-result': v.result, 'aria-labelledby': 'verify-result-title', tabindex: '-1' },
    h('h2', { id: 'verify-result-title' }, h('span', { class: 'result-icon', 'aria-hidden': 'true' }, kind === 'valid' ? '✔' : '✖'), ' ', heading),
    h('p', {}, text),
    wanted && v.result === 'valid' && v.letter.reference !== wanted
      ? h('p', { class: 'notice notice-warning' }, t('verify.otherLetter', { got: v.letter.reference, wanted })) : null,
    h('dl', { class: 'meta' }, rows));
}

export async function verifyPage(main) {
  document.title = `${t('verify.title')} · a6auth`;
  const wanted = new URLSearchParams(location.search).get('reference');
  const output = h('div', { id: 'verify-output' });
  const input = h('input', { type: 'file', id: 'verify-file', accept: 'application/pdf,.pdf', class: 'visually-hidden-file' });
  const zone = h('label', { for: 'verify-file', class: 'dropzone', id: 'dropzone' },
    h('span', { class: 'dropzone-icon', 'aria-hidden': 'true' }, '⇩'),
    h('span', {}, t('verify.drop')));

  const check = async (file) => {
    if (!file) return;
    clear(output);
    announce(t('verify.checking', { name: file.name }));
    try {
      const v = await verifyLetter(file);
      const view = resultView(v, wanted);
      output.append(view);
      announce(`${view.querySelector('h2').textContent.replace(/^[✔✖]\s*/, '')}. ${view.querySelector('p').textContent}`,
        v.result === 'valid' ? 'info' : 'error');
      view.focus();
    } catch (err) {
      announce(t('verify.failed', { detail: err.message }), 'error');
    }
  };
  input.addEventListener('change', () => check(input.files[0]));
  for (const type of ['dragenter', 'dragover']) {
    zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  }
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    check(file);
  });

  put(main, 
    h('h1', { tabindex: '-1' }, t('verify.title')),
    h('p', {}, t('verify.intro')),
    wanted ? h('p', { class: 'notice notice-info', id: 'verify-wanted' }, t('verify.fromQr', { ref: wanted })) : null,
    h('div', { class: 'field' }, h('span', { class: 'label', id: 'verify-file-label' }, t('verify.file')), input, zone),
    output);
}
