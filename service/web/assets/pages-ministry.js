// The ministry's pages, and the request page everyone shares: the queue of what waits for the
// signed-in person, a request with its workflow, attachments, letters, history and exactly the
// decisions the API says are available now; and an authorisation with its versions, amendment
// and revocation.
import { h, put, announce, clearAnnouncements } from './dom.js';
import { t, word, formatDate, formatDateTime, formatNumber, formatList } from './i18n.js';
import { api, download, ApiError } from './api.js';
import { GROUPS, ENTITY_FIELDS, getPath } from './fields.js';
import { attachmentsPanel, labelFor } from './pages-applicant.js';
import { workflowSvg } from './workflow-svg.js';

const NOT_HERE = ['open_amendment', 'revoke'];  // fired from the authorisation's page

function badge(state) {
  return h('span', { class: `badge state-${state}` }, word('state', state));
}

// ---- the queue --------------------------------------------------------------------------------

export async function queuePage(main, params, ctx) {
  document.title = `${t('queue.title')} · a6auth`;
  put(main, h('h1', { tabindex: '-1' }, t('queue.title')), h('p', {}, t('queue.intro')));
  const { data } = await api('GET', '/api/v1/queue');
  if (ctx.stale()) return;
  if (!data.items.length) {
    put(main, h('p', { class: 'empty', id: 'queue-empty' }, t('queue.empty')));
    return;
  }
  put(main, h('table', { id: 'queue' },
    h('caption', { class: 'visually-hidden' }, t('queue.title')),
    h('thead', {}, h('tr', {}, [t('col.due'), t('col.title'), t('col.organisation'), t('col.stage'), t('col.waiting')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, data.items.map((r) => h('tr', { class: r.overdue ? 'overdue' : null },
      h('td', {}, r.due_at
        ? [h('time', { datetime: r.due_at }, formatDateTime(r.due_at)), r.overdue ? [' ', h('strong', { class: 'badge state-rejected' }, t('queue.overdue'))] : null]
        : h('span', { class: 'muted' }, t('queue.noSla'))),
      h('td', {}, h('a', { href: `/#/requests/${r.id}` }, r.title || t('req.untitled'))),
      h('td', {}, r.organisation),
      h('td', {}, r.stage ? word('stage', r.stage) : badge(r.state)),
      h('td', {}, formatList(r.available_events.map((e) => word('event', e)))))))));
  if (data.truncated) put(main, h('p', { class: 'muted' }, t('queue.truncated')));
}

// ---- a request --------------------------------------------------------------------------------

function valueText(f, v) {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && !v.length)) return t('req.empty');
  if (f.kind === 'multi') return formatList(v.map((x) => word(f.words, x)));
  if (f.kind === 'countries') return v.join(', ');
  if (f.kind === 'date') return formatDate(v);
  if (f.kind === 'quantity') return `${formatNumber(v)} t`;
  if (f.words) return word(f.words, v);
  return String(v);
}

function fieldsView(fields) {
  const sections = [];
  for (const g of GROUPS) {
    if (g.entities) {
      const entities = getPath(fields, 'authorisation.authorized_entities') || [];
      sections.push(h('h3', {}, t('group.entities')));
      if (!entities.length) sections.push(h('p', { class: 'muted' }, t('req.empty')));
      entities.forEach((e, i) => sections.push(h('dl', { class: 'fields' }, h('dt', { class: 'wide' }, t('form.entity', { n: i + 1 })),
        ENTITY_FIELDS.map((f) => [h('dt', {}, t(`field.entity.${f.key}`)), h('dd', {}, e[f.key] || t('req.empty'))]))));
      continue;
    }
    sections.push(h('h3', {}, t(`group.${g.id}`)));
    sections.push(h('dl', { class: 'fields' }, g.fields.map((f) => [h('dt', {}, t(`field.${f.path}`)), h('dd', {}, valueText(f, getPath(fields, f.path)))])));
  }
  return sections;
}

function historyText(e) {
  const d = e.data || {};
  switch (e.type) {
    case 'state_changed': return `${word('state', d.from)} → ${word('state', d.to)}`;
    case 'stage_entered': return word('stage', d.stage);
    case 'vote': return `${word('stage', d.stage)}: ${word('event', d.decision)}`;
    case 'stage_completed': return `${word('stage', d.stage)}: ${word('event', d.decision)}`;
    case 'attachment_added': return d.attachment ? d.attachment.name : '';
    case 'submitted': return `${d.workflow} v${d.version}`;
    case 'letter_issued': return d.reference || '';
    case 'authorisation_recorded': return `${d.ref} · ${t('auth.version', { n: d.version })}`;
    case 'edited': return d.patch ? formatList(Object.keys(d.patch).map((k) => t(`group.${k === 'authorisation' ? 'authorisation' : k}`))) : '';
    case 'sla_breached': return word('stage', d.stage);
    case 'sla_reminder': return word('stage', d.stage);
    case 'first_transfer_recorded': return `${formatNumber(d.quantity)} t`;
    default: return '';
  }
}

function timeline(items) {
  return h('ol', { class: 'timeline', id: 'timeline' }, items.map((e) => h('li', { 'data-type': e.type },
    h('div', { class: 'when' }, h('time', { datetime: e.at }, formatDateTime(e.at))),
    h('div', {}, h('strong', {}, word('history', e.type)), historyText(e) ? ` · ${historyText(e)}` : '', ' · ', h('span', { class: 'muted' }, e.actor)),
    e.data && e.data.comment ? h('blockquote', {}, e.data.comment) : null)));
}

function commentRequired(definition, stage, event) {
  const s = definition?.stages?.find((x) => x.id === stage);
  return !!s?.decisions?.find((d) => d.event === event)?.comment_required;
}

function actionsPanel(r, definition, ctx) {
  const events = r.available_events.filter((e) => !NOT_HERE.includes(e));
  const panel = h('section', { class: 'panel actions-panel', 'aria-labelledby': 'actions-title' }, h('h2', { id: 'actions-title' }, t('req.actions')));
  const editable = ['draft', 'changes_requested'].includes(r.state) && ctx.isApplicant && ctx.user.organisation === r.applicant?.organisation;
  if (editable) put(panel, h('p', {}, h('a', { href: `/#/requests/${r.id}/edit`, class: 'button secondary', id: 'edit-request' }, t('req.edit'))));
  if (!events.length) {
    if (!editable) put(panel, h('p', { class: 'muted' }, t('req.noActions')));
    return panel;
  }
  const needing = events.filter((e) => commentRequired(definition, r.stage, e));
  const comment = h('textarea', { id: 'decision-comment', rows: 3, maxlength: 10000, 'aria-describedby': 'decision-comment-hint decision-comment-error' });
  const error = h('p', { class: 'error', id: 'decision-comment-error', hidden: true });
  const buttons = events.map((e) => h('button', {
    type: 'button', 'data-event': e, class: ['reject', 'withdraw'].includes(e) ? 'danger' : (e === 'request_changes' ? 'secondary' : null),
    on: { click: async (ev) => {
      clearAnnouncements();
      error.hidden = true;
      comment.removeAttribute('aria-invalid');
      if (commentRequired(definition, r.stage, e) && !comment.value.trim()) {
        error.textContent = t('req.commentMissing', { event: word('event', e) });
        error.hidden = false;
        comment.setAttribute('aria-invalid', 'true');
        comment.focus();
        return;
      }
      for (const b of buttons) b.disabled = true;
      try {
        const body = { event: e };
        if (comment.value.trim()) body.comment = comment.value;
        await api('POST', `/api/v1/requests/${r.id}/events`, { json: body, ifMatch: r.version });
        await ctx.render();
        announce(t('req.done', { event: word('event', e) }));
      } catch (err) {
        for (const b of buttons) b.disabled = false;
        const commentError = err instanceof ApiError && err.fieldErrors.find((x) => x.path === 'comment');
        if (commentError) {
          error.textContent = commentError.message;
          error.hidden = false;
          comment.setAttribute('aria-invalid', 'true');
          comment.focus();
        } else if (err instanceof ApiError && err.status === 412) {
          await ctx.render();
          announce(t('req.conflict'), 'error');
        } else if (err instanceof ApiError && err.fieldErrors.length) {
          announce(h('span', {}, err.message, h('ul', {}, err.fieldErrors.map((x) => h('li', {}, `${labelFor(x.path)}: ${x.message}`)))), 'error');
        } else {
          announce(t('app.error', { detail: err.message }), 'error');
        }
        ev.target.focus();
      }
    } },
  }, word('event', e)));
  put(panel, 
    h('div', { class: 'field' }, h('label', { for: 'decision-comment' }, t('req.comment')),
      h('p', { class: 'hint', id: 'decision-comment-hint' }, needing.length ? t('req.commentRequiredFor', { events: formatList(needing.map((e) => word('event', e))) }) : ''),
      comment, error),
    h('div', { class: 'actions' }, buttons));
  return panel;
}

export async function requestPage(main, [id], ctx) {
  const [{ data: r }, { data: history }] = await Promise.all([
    api('GET', `/api/v1/requests/${id}`), api('GET', `/api/v1/requests/${id}/history`)]);
  const [definition, letters] = await Promise.all([
    r.workflow ? api('GET', `/api/v1/workflows/${encodeURIComponent(r.workflow.name)}/${r.workflow.version}`).then((x) => x.data).catch(() => null) : null,
    api('GET', `/api/v1/requests/${id}/letters`).then((x) => x.data.items).catch(() => []),
  ]);
  if (ctx.stale()) return;
  const title = r.activity?.title || t('req.untitled');
  document.title = `${title} · a6auth`;
  put(main, h('h1', { tabindex: '-1' }, title),
    h('dl', { class: 'meta' },
      h('dt', {}, t('req.state')), h('dd', { id: 'request-state' }, badge(r.state)),
      h('dt', {}, t('req.stage')), h('dd', { id: 'request-stage' }, r.stage ? word('stage', r.stage) : t('req.empty')),
      h('dt', {}, t('req.workflow')), h('dd', {}, r.workflow ? `${definition?.title || r.workflow.name} (v${r.workflow.version})` : t('req.empty')),
      h('dt', {}, t('req.version')), h('dd', {}, formatNumber(r.version)),
      h('dt', {}, 'Id'), h('dd', {}, h('code', {}, r.id)),
      h('dt', {}, t('col.organisation')), h('dd', {}, r.applicant?.organisation || t('req.empty')),
      r.authorisation_ref ? [h('dt', {}, t('req.authorisation')), h('dd', {}, h('a', { href: `/#/authorisations/${r.authorisation_ref}`, id: 'authorisation-link' }, r.authorisation_ref))] : null),
    h('p', { class: 'muted' }, t('req.created', { who: r.created_by, when: formatDateTime(r.created_at) })));

  if (r.state === 'changes_requested') {
    const ask = [...history.items].reverse().find((e) => e.type === 'vote' && e.data?.decision === 'request_changes');
    put(main, h('section', { class: 'notice notice-warning', id: 'changes-requested', 'aria-labelledby': 'cr-title' },
      h('h2', { id: 'cr-title' }, t('req.changesRequested')),
      ask?.data?.comment ? h('blockquote', {}, ask.data.comment, h('footer', {}, `${ask.actor}, ${formatDateTime(ask.at)}`)) : null,
      ctx.isApplicant ? h('p', {}, t('req.changesRequestedIntro')) : null));
  }

  put(main, actionsPanel(r, definition, ctx));

  const editable = ['draft', 'changes_requested'].includes(r.state);
  if (editable && ctx.isApplicant) {
    const missing = r.completeness?.errors || [];
    put(main, h('section', { class: 'panel', id: 'completeness', 'aria-labelledby': 'completeness-title' },
      h('h2', { id: 'completeness-title' }, t('req.completeness')),
      missing.length
        ? h('ul', {}, missing.map((e) => h('li', {}, h('a', { href: `/#/requests/${r.id}/edit` }, labelFor(e.path.replace(/\[\d+\]$/, ''))), `: ${e.message}`)))
        : h('p', {}, t('req.ready'))));
  }

  if (definition) {
    put(main, h('section', { class: 'panel', 'aria-labelledby': 'wf-title' }, h('h2', { id: 'wf-title' }, t('req.workflowPicture')),
      h('div', { class: 'workflow-box', id: 'workflow-picture' }, workflowSvg(definition, r.stage))));
  }

  // Attachments: downloadable by everyone who sees the request; added while it is editable.
  if (editable && ctx.isApplicant) {
    put(main, attachmentsPanel(r, null));
  } else {
    put(main, h('section', { class: 'panel', 'aria-labelledby': 'att-title' }, h('h2', { id: 'att-title' }, t('req.attachments')),
      r.attachments.length ? h('ul', { class: 'attachments' }, r.attachments.map((a) => h('li', {},
        h('button', { type: 'button', class: 'link', on: { click: () => download(`/api/v1/requests/${r.id}/attachments/${a.id}`, a.name).catch((e) => announce(t('app.error', { detail: e.message }), 'error')) } },
          `${t('req.download')}: ${a.name}`), ` · ${formatNumber(a.size)} B`))) : h('p', { class: 'muted' }, t('req.noAttachments'))));
  }

  put(main, h('section', { class: 'panel', 'aria-labelledby': 'letters-title' }, h('h2', { id: 'letters-title' }, t('req.letters')),
    letters.length ? h('ul', { id: 'letters' }, letters.map((l) => h('li', {},
      h('button', { type: 'button', class: 'secondary', 'data-reference': l.reference, on: { click: () => download(l.href, `${l.reference.replace(/\//g, '_')}.pdf`).catch((e) => announce(t('app.error', { detail: e.message }), 'error')) } },
        t('req.downloadLetter', { ref: l.reference })),
      ` · ${word('history', 'letter_issued')} ${formatDateTime(l.issued_at)}`))) : h('p', { class: 'muted' }, t('req.noLetters'))));

  put(main, h('section', { class: 'panel', 'aria-labelledby': 'fields-title' }, h('h2', { id: 'fields-title' }, t('req.fields')), fieldsView(r)));
  put(main, h('section', { class: 'panel', 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, t('req.timeline')), timeline(history.items)));
}

// ---- an authorisation -------------------------------------------------------------------------

const AMENDABLE = [
  { path: 'authorisation.authorized_quantity', kind: 'quantity' },
  { path: 'authorisation.requested_quantity', kind: 'quantity' },
  { path: 'authorisation.vintages.to', kind: 'year' },
  { path: 'authorisation.timeframe.mitigation_to', kind: 'date' },
  { path: 'authorisation.terms_and_conditions', kind: 'long' },
];

function amendmentForm(a, ctx) {
  const inputs = AMENDABLE.map((f) => {
    const id = `amend-${f.path.replace(/\W+/g, '-')}`;
    const attrs = { id, name: f.path };
    if (f.kind === 'quantity') Object.assign(attrs, { type: 'number', min: 1, max: 1000000000000, step: 1 });
    if (f.kind === 'year') Object.assign(attrs, { type: 'number', min: 2021, max: 2100, step: 1 });
    if (f.kind === 'date') Object.assign(attrs, { type: 'date' });
    const el = f.kind === 'long' ? h('textarea', { id, rows: 3, maxlength: 10000 }) : h('input', attrs);
    return { f, el, wrap: h('div', { class: 'field' }, h('label', { for: id }, t(`field.${f.path}`)), el, h('p', { class: 'error', id: `${id}-error`, hidden: true })) };
  });
  const comment = h('textarea', { id: 'amend-comment', rows: 3, maxlength: 10000 });
  const button = h('button', { type: 'submit' }, t('auth.amendSubmit'));
  return h('form', { id: 'amendment-form', novalidate: true, on: { submit: async (e) => {
    e.preventDefault();
    clearAnnouncements();
    const changes = {};
    for (const { f, el } of inputs) {
      if (el.value === '') continue;
      const keys = f.path.split('.');
      let o = changes;
      for (const k of keys.slice(0, -1)) o = (o[k] ||= {});
      o[keys[keys.length - 1]] = f.kind === 'quantity' || f.kind === 'year' ? Number(el.value) : el.value;
    }
    if (!Object.keys(changes).length) { announce(t('auth.amendNothing'), 'error'); inputs[0].el.focus(); return; }
    button.disabled = true;
    try {
      const body = { changes };
      if (comment.value.trim()) body.comment = comment.value;
      await api('POST', `/api/v1/authorisations/${a.ref}/amendments`, { json: body });
      announce(t('auth.amended'));
      ctx.navigate(`/requests/${a.request_id}`);
    } catch (err) {
      button.disabled = false;
      const shown = [];
      for (const fe of err instanceof ApiError ? err.fieldErrors : []) {
        const input = inputs.find(({ f }) => `changes.${f.path}` === fe.path);
        if (input) {
          const p = input.wrap.querySelector('.error');
          p.textContent = fe.message;
          p.hidden = false;
          input.el.setAttribute('aria-describedby', p.id);
          input.el.setAttribute('aria-invalid', 'true');
          shown.push(fe);
        }
      }
      if (shown.length) inputs.find(({ f }) => `changes.${f.path}` === shown[0].path).el.focus();
      else announce(t('app.error', { detail: err.message }), 'error');
    }
  } } },
  h('p', {}, t('auth.amendIntro')),
  inputs.map((x) => x.wrap),
  h('div', { class: 'field' }, h('label', { for: 'amend-comment' }, t('req.comment')), comment),
  h('div', { class: 'actions' }, button));
}

function revocationForm(a, request, ctx) {
  const reason = h('textarea', { id: 'revoke-reason', rows: 3, maxlength: 10000, required: true, 'aria-describedby': 'revoke-reason-error' });
  const error = h('p', { class: 'error', id: 'revoke-reason-error', hidden: true });
  const confirm = h('input', { type: 'checkbox', id: 'revoke-confirm', required: true });
  const button = h('button', { type: 'submit', class: 'danger' }, t('auth.revokeSubmit'));
  return h('form', { id: 'revocation-form', novalidate: true, on: { submit: async (e) => {
    e.preventDefault();
    clearAnnouncements();
    if (!reason.value.trim()) {
      error.textContent = t('err.required');
      error.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reason.focus();
      return;
    }
    if (!confirm.checked) { confirm.focus(); return; }
    button.disabled = true;
    try {
      await api('POST', `/api/v1/authorisations/${a.ref}/revocation`, { json: { reason: reason.value }, ifMatch: request.version });
      await ctx.render();
      announce(t('auth.revoked'));
    } catch (err) {
      button.disabled = false;
      announce(t('app.error', { detail: err.message }), 'error');
    }
  } } },
  h('div', { class: 'field' }, h('label', { for: 'revoke-reason' }, t('auth.reason')), reason, error),
  h('div', { class: 'check' }, confirm, h('label', { for: 'revoke-confirm' }, t('auth.confirmRevoke'))),
  h('div', { class: 'actions' }, button));
}

export async function authorisationPage(main, [ref], ctx) {
  const { data: a } = await api('GET', `/api/v1/authorisations/${encodeURIComponent(ref)}`);
  const request = await api('GET', `/api/v1/requests/${a.request_id}`).then((x) => x.data).catch(() => null);
  if (ctx.stale()) return;
  document.title = `${t('auth.title', { ref: a.ref })} · a6auth`;
  put(main, h('h1', { tabindex: '-1' }, t('auth.title', { ref: a.ref })),
    h('dl', { class: 'meta' },
      h('dt', {}, t('auth.status')), h('dd', { id: 'authorisation-status' }, badge(a.status)),
      h('dt', {}, t('auth.currentVersion')), h('dd', {}, formatNumber(a.current_version)),
      h('dt', {}, t('auth.request')), h('dd', {}, h('a', { href: `/#/requests/${a.request_id}` }, request?.activity?.title || a.request_id))));

  put(main, h('section', { class: 'panel', 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title' }, t('auth.versions')),
    [...a.versions].reverse().map((v) => h('article', { class: 'version', 'aria-labelledby': `version-${v.version}` },
      h('h3', { id: `version-${v.version}` }, t('auth.version', { n: v.version }), v.version === a.current_version ? ` · ${t('verify.status.active')}` : ''),
      h('p', {}, t('auth.authorisedAt', { when: formatDateTime(v.authorised_at), who: v.authorised_by })),
      h('p', {}, v.changes.length ? [t('auth.changes'), ': ', formatList(v.changes.map((c) => labelFor(c)))] : t('auth.firstVersion')),
      h('p', {}, `${t('field.authorisation.authorized_quantity')}: ${valueText({ kind: 'quantity' }, getPath(v.fields, 'authorisation.authorized_quantity'))} · ${t('group.vintages')}: ${getPath(v.fields, 'authorisation.vintages.from') ?? '—'}–${getPath(v.fields, 'authorisation.vintages.to') ?? '—'}`),
      h('button', { type: 'button', class: 'secondary', on: { click: () => download(`/api/v1/authorisations/${encodeURIComponent(a.ref)}/letter.pdf?version=${v.version}`, `${a.ref}_${v.version}.pdf`).catch((e) => announce(t('app.error', { detail: e.message }), 'error')) } },
        t('auth.letter', { n: v.version }))))));

  put(main, h('section', { class: 'panel', 'aria-labelledby': 'auth-letters-title' }, h('h2', { id: 'auth-letters-title' }, t('req.letters')),
    a.letters.length ? h('ul', {}, a.letters.map((l) => h('li', {}, h('button', { type: 'button', class: 'link', on: { click: () => download(l.href, `${l.reference.replace(/\//g, '_')}.pdf`).catch((e) => announce(t('app.error', { detail: e.message }), 'error')) } },
      t('req.downloadLetter', { ref: l.reference })), ` · ${formatDateTime(l.issued_at)}`))) : h('p', { class: 'muted' }, t('req.noLetters'))));

  put(main, h('section', { class: 'panel', 'aria-labelledby': 'ft-title' }, h('h2', { id: 'ft-title' }, t('auth.firstTransfers')),
    a.first_transfers.length
      ? [h('ul', {}, a.first_transfers.map((f) => h('li', {}, `${formatDate(f.date)} · ${formatNumber(f.quantity)} t · ${f.serial_first} – ${f.serial_last}`))),
        h('p', {}, t('auth.firstTransferredTotal', { total: formatNumber(a.first_transferred_total) }))]
      : h('p', { class: 'muted' }, t('auth.noFirstTransfers'))));

  const available = request?.available_events || [];
  if (available.includes('open_amendment') && a.status === 'active') {
    put(main, h('section', { class: 'panel', 'aria-labelledby': 'amend-title' }, h('h2', { id: 'amend-title' }, t('auth.amend')), amendmentForm(a, ctx)));
  }
  if (available.includes('revoke') && a.status !== 'revoked') {
    put(main, h('section', { class: 'panel danger-zone', 'aria-labelledby': 'revoke-title' }, h('h2', { id: 'revoke-title' }, t('auth.revoke')), revocationForm(a, request, ctx)));
  }
}
