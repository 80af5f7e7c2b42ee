// The applicant's pages: the list of requests and the request form (new, or a draft resumed),
// with attachments uploaded with progress.
import { h, clear, put, announce, clearAnnouncements, fieldId } from './dom.js';
import { t, word, formatDateTime, formatNumber } from './i18n.js';
import { api, upload, ApiError, versionOf, newIdempotencyKey } from './api.js';
import {
  GROUPS, ENTITY_FIELDS, ALL_FIELDS, maxLength, validate, toRequestJson, fromRequestJson, fieldPathFor, SHORT, LONG,
} from './fields.js';

const STATES = ['draft', 'in_review', 'changes_requested', 'approved', 'authorised', 'rejected', 'withdrawn', 'amendment_in_review', 'revoked', 'expired'];

// ---- the list ---------------------------------------------------------------------------------

export async function listPage(main, params, ctx) {
  const query = new URLSearchParams(location.hash.split('?')[1] || '');
  const title = ctx.isStaff ? t('list.title') : t('list.myTitle', { org: ctx.user.organisation });
  document.title = `${title} · a6auth`;
  const state = h('select', { id: 'filter-state', name: 'state' },
    h('option', { value: '' }, t('list.anyState')),
    STATES.map((s) => h('option', { value: s, selected: query.get('state') === s }, word('state', s))));
  const q = h('input', { id: 'filter-q', name: 'q', type: 'search', maxlength: 200, value: query.get('q') || '', 'aria-describedby': 'filter-q-hint' });
  const form = h('form', { class: 'filters', role: 'search', on: { submit: (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (state.value) p.set('state', state.value);
    if (q.value.trim()) p.set('q', q.value.trim());
    ctx.navigate(`/requests${p.toString() ? `?${p}` : ''}`);
  } } },
  h('div', { class: 'field' }, h('label', { for: 'filter-state' }, t('list.state')), state),
  h('div', { class: 'field' }, h('label', { for: 'filter-q' }, t('list.search')), q, h('p', { class: 'hint', id: 'filter-q-hint' }, t('list.searchHint'))),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'secondary' }, t('list.apply'))));

  const tbody = h('tbody');
  const table = h('table', {},
    h('caption', { class: 'visually-hidden' }, title),
    h('thead', {}, h('tr', {}, [t('col.title'), t('col.organisation'), t('col.ca'), t('col.state'), t('col.stage'), t('col.updated')].map((c) => h('th', { scope: 'col' }, c)))),
    tbody);
  const count = h('p', { class: 'count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, t('list.more'));
  put(main, 
    h('h1', { tabindex: '-1' }, title),
    ctx.isApplicant ? h('p', {}, h('a', { href: '/#/requests/new', class: 'button' }, t('nav.newRequest'))) : null,
    form, table, count, more);

  let cursor = null;
  let shown = 0;
  const load = async () => {
    const p = new URLSearchParams({ limit: '50' });
    if (query.get('state')) p.set('state', query.get('state'));
    if (query.get('q')) p.set('q', query.get('q'));
    if (cursor) p.set('cursor', cursor);
    const { data } = await api('GET', `/api/v1/requests?${p}`);
    if (ctx.stale()) return;
    for (const r of data.items) {
      tbody.append(h('tr', {},
        h('td', {}, h('a', { href: `/#/requests/${r.id}` }, r.title || t('req.untitled'))),
        h('td', {}, r.organisation),
        h('td', {}, r.cooperative_approach_id || t('req.empty')),
        h('td', {}, h('span', { class: `badge state-${r.state}` }, word('state', r.state))),
        h('td', {}, r.stage ? word('stage', r.stage) : t('req.empty')),
        h('td', {}, h('time', { datetime: r.updated_at }, formatDateTime(r.updated_at)))));
    }
    shown += data.items.length;
    cursor = data.next_cursor;
    more.hidden = !cursor;
    count.textContent = shown ? t('list.count', { count: formatNumber(shown) }) : t('list.empty');
  };
  more.addEventListener('click', () => load().catch((e) => announce(t('app.error', { detail: e.message }), 'error')));
  await load();
}

// ---- the form ---------------------------------------------------------------------------------

export function labelFor(path) {
  const entity = /^authorisation\.authorized_entities\[(\d+)\]\.(\w+)$/.exec(path);
  if (entity) return `${t('form.entity', { n: Number(entity[1]) + 1 })}: ${t(`field.entity.${entity[2]}`)}`;
  return t(`field.${path}`);
}

// A client-side error as words, with field paths named by their labels.
function messageText([key, vars]) {
  const v = { ...vars };
  if (v.other && v.other.includes('.')) v.other = labelFor(v.other);
  if (v.max !== undefined) v.max = formatNumber(v.max);
  return t(key, v);
}

class RequestForm {
  constructor(ctx, request) {
    this.ctx = ctx;
    this.request = request;  // null for a new one
    this.version = request ? request.version : undefined;
    const { values, entities } = request ? fromRequestJson(request) : fromRequestJson({});
    this.values = values;
    this.entities = entities;
    this.idempotencyKey = newIdempotencyKey();
    this.inputs = new Map();  // path → input element (or fieldset for checkbox groups)
    this.errorEls = new Map();  // path → <p class="error">
  }

  build() {
    this.summary = h('div', { class: 'error-summary', hidden: true, tabindex: '-1', role: 'alert', 'aria-labelledby': 'error-summary-title' });
    this.form = h('form', { novalidate: true, id: 'request-form', on: { submit: (e) => { e.preventDefault(); this.save(); } } });
    for (const group of GROUPS) {
      if (group.entities) {
        this.entitiesBox = h('fieldset', { id: 'entities' }, h('legend', {}, t('group.entities')));
        this.renderEntities();
        this.form.append(this.entitiesBox);
        continue;
      }
      const fs = h('fieldset', { id: `group-${group.id}` }, h('legend', {}, t(`group.${group.id}`)));
      for (const f of group.fields) fs.append(this.field(f));
      this.form.append(fs);
    }
    this.saveButton = h('button', { type: 'submit', id: 'save' }, t('form.save'));
    this.form.append(h('div', { class: 'actions' }, this.saveButton,
      this.request ? h('a', { href: `/#/requests/${this.request.id}`, class: 'button secondary' }, t('form.cancel')) : null));
    this.updateConditional();
    return [this.summary, this.form];
  }

  // One labelled control with its hint and its error line, tied together with aria-describedby.
  field(f, entityIndex) {
    const path = entityIndex === undefined ? f.path : `authorisation.authorized_entities[${entityIndex}].${f.key}`;
    const id = fieldId(path);
    const hintId = `${id}-hint`;
    const errId = `${id}-error`;
    const value = entityIndex === undefined ? this.values[f.path] : this.entities[entityIndex][f.key];
    const label = entityIndex === undefined ? t(`field.${f.path}`) : t(`field.entity.${f.key}`);
    const needed = f.submit ? h('span', { class: 'needed' }, ` (${t('form.neededToSubmit')})`) : null;
    const hints = [];
    if (f.hint) hints.push(t(f.hint));
    if (f.kind === 'quantity') hints.push(t('form.quantityHint'));
    if (f.kind === 'year') hints.push(t('form.yearHint'));
    if (['text', 'long', 'email'].includes(f.kind) && !f.pattern) hints.push(t('form.maxChars', { max: formatNumber(maxLength(f)) }));
    const hint = hints.length ? h('p', { class: 'hint', id: hintId }, hints.join(' · ')) : null;
    const error = h('p', { class: 'error', id: errId, hidden: true });
    const describedBy = [hint ? hintId : null, errId].filter(Boolean).join(' ');
    const onChange = () => { this.readValues(); this.updateConditional(); };
    let control;
    const wrapper = h('div', { class: 'field', 'data-path': path });

    if (f.kind === 'multi') {
      const boxes = f.options.map((o, k) => {
        const cid = `${id}-${k}`;
        return h('div', { class: 'check' },
          h('input', { type: 'checkbox', id: cid, value: o, checked: (value || []).includes(o), on: { change: onChange } }),
          h('label', { for: cid }, word(f.words, o)));
      });
      control = h('fieldset', { class: 'checks', id, 'aria-describedby': describedBy }, h('legend', {}, label, needed), boxes);
      wrapper.append(...[control, hint, error].filter(Boolean));
    } else {
      if (f.kind === 'long') {
        control = h('textarea', { id, name: path, rows: 4, maxlength: LONG, value: value || '' });
      } else if (f.kind === 'select') {
        control = h('select', { id, name: path },
          h('option', { value: '' }, t('form.selectNone')),
          f.options.map((o) => h('option', { value: o, selected: value === o }, f.words ? word(f.words, o) : o)));
      } else {
        const attrs = { id, name: path, value: value === undefined || value === null ? '' : value };
        switch (f.kind) {
          case 'email': Object.assign(attrs, { type: 'email', maxlength: 254, autocomplete: 'email' }); break;
          case 'country': Object.assign(attrs, { maxlength: 3, pattern: '[A-Z]{3}', autocapitalize: 'characters', class: 'short' }); break;
          case 'countries': Object.assign(attrs, { pattern: '\\s*[A-Z]{3}(\\s*,\\s*[A-Z]{3})*\\s*', autocapitalize: 'characters', value: (value || []).join(', ') }); break;
          case 'date': Object.assign(attrs, { type: 'date', min: '1900-01-01', max: '2999-12-31', class: 'short' }); break;
          case 'year': Object.assign(attrs, { type: 'number', min: 2021, max: 2100, step: 1, inputmode: 'numeric', class: 'short' }); break;
          case 'quantity': Object.assign(attrs, { type: 'number', min: 1, max: 1000000000000, step: 1, inputmode: 'numeric' }); break;
          default: Object.assign(attrs, { maxlength: SHORT }); if (f.pattern) attrs.pattern = f.pattern.replace(/^\^|\$$/g, ''); break;
        }
        control = h('input', attrs);
      }
      control.setAttribute('aria-describedby', describedBy);
      control.addEventListener('change', onChange);
      wrapper.append(...[h('label', { for: id }, label, needed), hint, control, error].filter(Boolean));
    }
    this.inputs.set(path, control);
    this.errorEls.set(path, error);
    return wrapper;
  }

  renderEntities() {
    const box = this.entitiesBox;
    for (const el of [...box.children]) if (el.tagName !== 'LEGEND') el.remove();
    for (const [path] of [...this.inputs]) if (path.startsWith('authorisation.authorized_entities[')) { this.inputs.delete(path); this.errorEls.delete(path); }
    this.entities.forEach((e, i) => {
      const fs = h('fieldset', { class: 'entity' }, h('legend', {}, t('form.entity', { n: i + 1 })));
      for (const f of ENTITY_FIELDS) fs.append(this.field(f, i));
      fs.append(h('button', { type: 'button', class: 'secondary', on: { click: () => {
        this.readValues();
        this.entities.splice(i, 1);
        this.renderEntities();
        box.querySelector('button')?.focus();
      } } }, t('form.removeEntity', { n: i + 1 })));
      box.append(fs);
    });
    box.append(h('button', { type: 'button', class: 'secondary', id: 'add-entity', on: { click: () => {
      this.readValues();
      this.entities.push(Object.fromEntries(ENTITY_FIELDS.map((f) => [f.key, ''])));
      this.renderEntities();
      this.inputs.get(`authorisation.authorized_entities[${this.entities.length - 1}].name`)?.focus();
    } } }, t('form.addEntity')));
  }

  readValues() {
    for (const f of ALL_FIELDS) {
      const el = this.inputs.get(f.path);
      if (!el) continue;
      let v;
      if (f.kind === 'multi') v = [...el.querySelectorAll('input:checked')].map((c) => c.value);
      else if (f.kind === 'countries') v = el.value.split(',').map((s) => s.trim()).filter(Boolean);
      else if (f.kind === 'year' || f.kind === 'quantity') v = el.value === '' ? '' : Number(el.value);
      else if (f.kind === 'long') v = el.value;
      else v = el.value.trim() === '' && el.value !== '' ? el.value : el.value.trim();
      this.values[f.path] = v;
    }
    this.entities.forEach((e, i) => {
      for (const f of ENTITY_FIELDS) {
        const el = this.inputs.get(`authorisation.authorized_entities[${i}].${f.key}`);
        if (el) e[f.key] = f.kind === 'long' ? el.value : el.value.trim();
      }
    });
  }

  // Fields that the other answers exclude are hidden (and sent as null).
  updateConditional() {
    for (const f of ALL_FIELDS) {
      if (!f.when) continue;
      const el = this.inputs.get(f.path);
      const wrapper = el?.closest('.field');
      if (wrapper) wrapper.hidden = !f.when(this.values);
    }
  }

  clearErrors() {
    for (const [path, el] of this.errorEls) {
      el.hidden = true;
      clear(el);
      this.inputs.get(path)?.removeAttribute('aria-invalid');
    }
    this.summary.hidden = true;
    clear(this.summary);
  }

  // errors: [{path, text}] — shown beside each field and listed at the top with links.
  showErrors(errors) {
    this.clearErrors();
    const items = [];
    for (const e of errors) {
      const path = fieldPathFor(e.path);
      const el = this.errorEls.get(path);
      const input = this.inputs.get(path);
      if (el) {
        el.hidden = false;
        if (el.textContent) el.append(' ');
        el.append(e.text);
        input?.setAttribute('aria-invalid', 'true');
        const target = input?.tagName === 'FIELDSET' ? input.querySelector('input') : input;
        items.push(h('li', {}, h('a', { href: `#${fieldId(path)}`, on: { click: (ev) => { ev.preventDefault(); target?.focus(); } } }, `${labelFor(path)}: ${e.text}`)));
      } else {
        items.push(h('li', {}, `${e.path}: ${e.text}`));
      }
    }
    this.summary.append(h('h2', { id: 'error-summary-title' }, t('form.errorsTitle')),
      h('p', {}, t('form.errorCount', { count: errors.length })), h('ul', {}, items));
    this.summary.hidden = false;
    this.summary.focus();
  }

  async save() {
    this.readValues();
    clearAnnouncements();
    const local = validate(this.values, this.entities, false);
    if (local.length) {
      this.showErrors(local.map((e) => ({ path: e.path, text: messageText(e.message) })));
      return;
    }
    this.clearErrors();
    const body = toRequestJson(this.values, this.entities);
    this.saveButton.disabled = true;
    try {
      if (!this.request) {
        const { data } = await api('POST', '/api/v1/requests', { json: body, idempotencyKey: this.idempotencyKey });
        announce(t('form.created'));
        this.ctx.navigate(`/requests/${data.id}/edit`);
        return;
      }
      const { data, etag } = await api('PATCH', `/api/v1/requests/${this.request.id}`, { patch: body, ifMatch: this.version });
      this.request = data;
      this.version = versionOf(etag) ?? data.version;
      announce(t('form.saved', { version: formatNumber(this.version) }));
      this.onSaved?.(data);
    } catch (err) {
      this.serverError(err);
    } finally {
      this.saveButton.disabled = false;
    }
  }

  serverError(err) {
    if (err instanceof ApiError && err.fieldErrors.length) {
      this.showErrors(err.fieldErrors.map((e) => ({ path: e.path, text: e.message })));
    } else if (err instanceof ApiError && err.status === 412) {
      announce(h('span', {}, t('form.conflict'), ' ',
        h('button', { type: 'button', class: 'secondary', on: { click: () => this.ctx.render() } }, t('form.reload'))), 'error');
    } else {
      announce(t('app.error', { detail: err.message }), 'error');
    }
  }
}

// Attachments of an editable request: the list, and an upload with a progress bar.
export function attachmentsPanel(request, form) {
  const list = h('ul', { class: 'attachments', id: 'attachment-list' });
  const renderList = (items) => {
    clear(list);
    if (!items.length) list.append(h('li', { class: 'muted' }, t('req.noAttachments')));
    for (const a of items) list.append(h('li', {}, `${a.name} · ${formatNumber(a.size)} B · SHA-256 ${a.sha256.slice(0, 16)}…`));
  };
  renderList(request.attachments || []);
  const file = h('input', { type: 'file', id: 'attachment-file', 'aria-describedby': 'attachment-hint' });
  const progress = h('progress', { id: 'attachment-progress', max: 100, value: 0, hidden: true, 'aria-label': t('att.progress') });
  const button = h('button', { type: 'button', id: 'attachment-upload', class: 'secondary' }, t('att.upload'));
  button.addEventListener('click', async () => {
    const f = file.files[0];
    if (!f) { announce(t('att.choose'), 'error'); file.focus(); return; }
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    try {
      const name = encodeURIComponent(f.name);
      const { data, etag } = await upload(`/api/v1/requests/${request.id}/attachments?name=${name}`, f, {
        ifMatch: form ? form.version : undefined,
        onProgress: (loaded, total) => { progress.value = Math.round((loaded / total) * 100); },
      });
      if (form) form.version = versionOf(etag) ?? form.version;
      request.attachments = [...(request.attachments || []), data];
      renderList(request.attachments);
      file.value = '';
      announce(t('att.uploaded', { name: data.name }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 412) announce(t('form.conflict'), 'error');
      else announce(t('att.failed', { detail: err.message }), 'error');
    } finally {
      button.disabled = false;
    }
  });
  return h('section', { 'aria-labelledby': 'attachments-title', class: 'panel' },
    h('h2', { id: 'attachments-title' }, t('req.attachments')),
    list,
    h('div', { class: 'field' }, h('label', { for: 'attachment-file' }, t('att.add')),
      h('p', { class: 'hint', id: 'attachment-hint' }, t('att.hint')), file),
    h('div', { class: 'actions' }, button, progress));
}

export async function formPage(main, params, ctx) {
  const id = params[0];
  let request = null;
  if (id) {
    ({ data: request } = await api('GET', `/api/v1/requests/${id}`));
    if (ctx.stale()) return;
  }
  const title = id ? t('form.editTitle') : t('form.newTitle');
  document.title = `${title} · a6auth`;
  put(main, h('h1', { tabindex: '-1' }, title));
  if (request) put(main, h('p', { class: 'muted' }, request.activity?.title || t('req.untitled'), ' · ', request.id));
  if (request && !['draft', 'changes_requested'].includes(request.state)) {
    put(main, h('p', { class: 'notice notice-error' }, t('form.notEditable')));
    return;
  }
  put(main, h('p', {}, t('form.intro')));
  const form = new RequestForm(ctx, request);
  put(main, ...form.build());
  if (request) put(main, attachmentsPanel(request, form));
  else put(main, h('p', { class: 'muted', id: 'attachments-later' }, t('form.saveFirst')));
}
