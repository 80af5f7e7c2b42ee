// Every field of an authorisation request (docs/openapi.yaml, RequestFields) with the rules the
// server applies (service/src/domain/Validation.cpp), so that the form hints and checks exactly
// what the server will. The server stays the judge: its errors are shown the same way.

export const SECTORS = ['Energy', 'Industrial processes and product use', 'Agriculture', 'LULUCF', 'Waste', 'Other'];
export const ACTIVITY_TYPES = ['Renewable energy', 'Energy efficiency', 'Cookstoves', 'Fuel switch', 'Methane avoidance',
  'Afforestation and reforestation', 'REDD+', 'Improved forest management', 'Blue carbon', 'Soil carbon', 'Biochar',
  'Direct air capture', 'Carbon capture and storage', 'Industrial gases', 'Transport', 'Waste management',
  'Water purification', 'Other'];
export const METRICS = ['GHG', 'non-GHG'];
export const GWP_VALUES = ['AR4', 'AR5', 'AR6'];
export const PURPOSES = ['NDC', 'OIMP', 'IMP', 'OP', 'NDC and OIMP', 'NDC and IMP', 'NDC and OP'];
export const FIRST_TRANSFER = ['Authorisation', 'Issuance', 'Use or Cancellation'];
export const REGISTRIES = ['VCS', 'GS', 'CAR', 'ACR', 'ART', 'GCC', 'Cercarbono', 'Isometric', 'ISFL', 'FCPF', 'T-VER', 'JCM', 'PACM'];

export const SHORT = 200;
export const LONG = 10000;
export const EMAIL_MAX = 254;
export const MAX_LIST = 50;

// kind: text, long, email, country, countries, date, year, quantity, select, multi.
// submit: required for submission. when(values): shown and sent only when it holds.
export const GROUPS = [
  { id: 'applicant', fields: [
    { path: 'applicant.organisation', kind: 'text', submit: true, hint: 'form.organisationHint' },
    { path: 'applicant.contact_name', kind: 'text', submit: true },
    { path: 'applicant.contact_email', kind: 'email', submit: true, hint: 'form.emailHint' },
  ] },
  { id: 'activity', fields: [
    { path: 'activity.title', kind: 'text', submit: true },
    { path: 'activity.description', kind: 'long', submit: true },
    { path: 'activity.host_country', kind: 'country', submit: true, hint: 'form.hostCountryHint' },
    { path: 'activity.region', kind: 'text' },
    { path: 'activity.sector', kind: 'multi', options: SECTORS, words: 'sector', submit: true },
    { path: 'activity.activity_type', kind: 'multi', options: ACTIVITY_TYPES, words: 'activity_type', submit: true },
    { path: 'activity.standard', kind: 'text', submit: true },
    { path: 'activity.methodology', kind: 'text', submit: true },
    { path: 'activity.design_document_ref', kind: 'text' },
    { path: 'activity.crediting_period.from', kind: 'date', submit: true },
    { path: 'activity.crediting_period.to', kind: 'date', submit: true, after: 'activity.crediting_period.from' },
  ] },
  { id: 'authorisation', fields: [
    { path: 'authorisation.cooperative_approach_id', kind: 'text', pattern: '^CA[0-9]{4}$', patternError: 'err.pattern.ca', submit: true, hint: 'form.caHint' },
    { path: 'authorisation.requested_quantity', kind: 'quantity', submit: true },
    { path: 'authorisation.authorized_quantity', kind: 'quantity' },
    { path: 'authorisation.metric', kind: 'select', options: METRICS, submit: true },
    { path: 'authorisation.gwp_values', kind: 'select', options: GWP_VALUES, when: (v) => v['authorisation.metric'] !== 'non-GHG', requiredWhen: (v) => v['authorisation.metric'] === 'GHG', cause: 'authorisation.metric' },
    { path: 'authorisation.non_ghg_metric', kind: 'text', when: (v) => v['authorisation.metric'] !== 'GHG', requiredWhen: (v) => v['authorisation.metric'] === 'non-GHG', cause: 'authorisation.metric' },
    { path: 'authorisation.non_ghg_unit', kind: 'text', when: (v) => v['authorisation.metric'] !== 'GHG', requiredWhen: (v) => v['authorisation.metric'] === 'non-GHG', cause: 'authorisation.metric' },
    { path: 'authorisation.purposes', kind: 'select', options: PURPOSES, submit: true },
    { path: 'authorisation.oimp_authorized', kind: 'text', when: (v) => v['authorisation.purposes'] !== 'NDC', requiredWhen: (v) => !!v['authorisation.purposes'] && v['authorisation.purposes'] !== 'NDC', cause: 'authorisation.purposes' },
    { path: 'authorisation.first_transfer_definition', kind: 'select', options: FIRST_TRANSFER, words: 'first_transfer', when: (v) => v['authorisation.purposes'] !== 'NDC', requiredWhen: (v) => !!v['authorisation.purposes'] && v['authorisation.purposes'] !== 'NDC', cause: 'authorisation.purposes' },
    { path: 'authorisation.authorized_parties', kind: 'countries', hint: 'form.countriesHint' },
  ] },
  { id: 'entities', entities: true },
  { id: 'timeframe', fields: [
    { path: 'authorisation.timeframe.mitigation_from', kind: 'date' },
    { path: 'authorisation.timeframe.mitigation_to', kind: 'date', after: 'authorisation.timeframe.mitigation_from' },
    { path: 'authorisation.timeframe.use_from', kind: 'date' },
    { path: 'authorisation.timeframe.use_to', kind: 'date', after: 'authorisation.timeframe.use_from' },
  ] },
  { id: 'vintages', fields: [
    { path: 'authorisation.vintages.from', kind: 'year', submit: true },
    { path: 'authorisation.vintages.to', kind: 'year', submit: true, after: 'authorisation.vintages.from' },
  ] },
  { id: 'other', fields: [
    { path: 'authorisation.underlying_unit_registry', kind: 'select', options: REGISTRIES },
    { path: 'authorisation.terms_and_conditions', kind: 'long' },
    { path: 'authorisation.additional_information', kind: 'long' },
  ] },
];

export const ENTITY_FIELDS = [
  { key: 'name', kind: 'text', submit: true },
  { key: 'country', kind: 'country', submit: true },
  { key: 'identification_number', kind: 'text' },
  { key: 'conditions', kind: 'long' },
  { key: 'change_and_revocation_conditions', kind: 'long' },
];

export const ALL_FIELDS = GROUPS.flatMap((g) => g.fields || []);

export function maxLength(field) {
  if (field.kind === 'long') return LONG;
  if (field.kind === 'email') return EMAIL_MAX;
  return SHORT;
}

// ---- reading and writing the JSON shape -------------------------------------------------------

export function getPath(obj, path) {
  return path.split('.').reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}

export function setPath(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
  }
  o[keys[keys.length - 1]] = value;
}

// ---- the rules --------------------------------------------------------------------------------

const SPACES = /^[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$/u;
const chars = (s) => [...s].length;

export function isIsoDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return d <= days;
}

export function isEmail(s) {
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(s);
}

// Checks the form's values (a flat map path → value; lists as arrays, entities as objects) like
// the server: every rule on what is present; "needed to submit" only when `submission` is true.
// Returns [{path, message: [key, vars]}].
export function validate(values, entities, submission = false) {
  const errors = [];
  const add = (path, key, vars = {}) => errors.push({ path, message: [key, vars] });

  const checkText = (path, value, max, required) => {
    if (value === undefined || value === null || value === '') {
      if (required && submission) add(path, 'err.required');
      return false;
    }
    if (SPACES.test(value)) {
      add(path, required && submission ? 'err.required' : 'err.blank');
      return false;
    }
    if (chars(value) > max) {
      add(path, 'err.length', { max, count: chars(value) });
      return false;
    }
    return true;
  };
  const checkCountry = (path, value, required) => {
    if (!checkText(path, value, SHORT, required)) return;
    if (!/^[A-Z]{3}$/.test(value)) add(path, 'err.pattern.country');
  };

  for (const f of ALL_FIELDS) {
    const v = values[f.path];
    const shown = !f.when || f.when(values);
    if (!shown) continue;
    const required = !!f.submit || (f.requiredWhen ? f.requiredWhen(values) : false);
    const empty = v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
    if (empty) {
      if (required && submission) add(f.path, f.requiredWhen && !f.submit ? 'err.requiredWhen' : 'err.required', { other: f.cause || '' });
      continue;
    }
    switch (f.kind) {
      case 'text':
      case 'long':
        if (checkText(f.path, v, maxLength(f), required) && f.pattern && !new RegExp(f.pattern).test(v)) {
          add(f.path, f.patternError);
        }
        break;
      case 'email':
        if (checkText(f.path, v, EMAIL_MAX, required) && !isEmail(v)) add(f.path, 'err.email');
        break;
      case 'country':
        checkCountry(f.path, v, required);
        break;
      case 'countries': {
        if (!Array.isArray(v)) { add(f.path, 'err.pattern.countries'); break; }
        if (v.length > MAX_LIST) { add(f.path, 'err.length', { max: MAX_LIST, count: v.length }); break; }
        const seen = new Set();
        for (const code of v) {
          if (!/^[A-Z]{3}$/.test(code)) { add(f.path, 'err.pattern.countries'); break; }
          if (seen.has(code)) { add(f.path, 'err.duplicate', { code }); break; }
          seen.add(code);
        }
        break;
      }
      case 'date':
        if (!isIsoDate(v)) add(f.path, 'err.date');
        else if (f.after && isIsoDate(values[f.after] || '') && v < values[f.after]) add(f.path, 'err.order', { other: f.after });
        break;
      case 'year':
        if (!Number.isInteger(v) || v < 2021 || v > 2100) add(f.path, 'err.year');
        else if (f.after && Number.isInteger(values[f.after]) && v < values[f.after]) add(f.path, 'err.order', { other: f.after });
        break;
      case 'quantity':
        if (!Number.isInteger(v) || v <= 0 || v > 1e12) add(f.path, 'err.quantity');
        break;
      default:
        break;
    }
  }
  entities.forEach((e, i) => {
    const base = `authorisation.authorized_entities[${i}]`;
    checkText(`${base}.name`, e.name, SHORT, true);
    checkCountry(`${base}.country`, e.country, true);
    checkText(`${base}.identification_number`, e.identification_number, SHORT, false);
    checkText(`${base}.conditions`, e.conditions, LONG, false);
    checkText(`${base}.change_and_revocation_conditions`, e.change_and_revocation_conditions, LONG, false);
  });
  return dedupe(errors);
}

function dedupe(errors) {
  const seen = new Set();
  return errors.filter((e) => (seen.has(e.path) ? false : (seen.add(e.path), true)));
}

// The form's values as the request's JSON: every field present (null when empty or not
// applicable), so that as a merge patch it also clears what was emptied.
export function toRequestJson(values, entities) {
  const out = { applicant: {}, activity: {}, authorisation: {} };
  for (const f of ALL_FIELDS) {
    let v = values[f.path];
    const shown = !f.when || f.when(values);
    if (!shown || v === '' || v === undefined || (Array.isArray(v) && v.length === 0)) v = null;
    setPath(out, f.path, v);
  }
  out.authorisation.authorized_entities = entities.length
    ? entities.map((e) => Object.fromEntries(ENTITY_FIELDS.map((f) => [f.key, e[f.key] ? e[f.key] : null])))
    : null;
  return out;
}

// The other way: the request's JSON as the form's flat values and entity list.
export function fromRequestJson(request) {
  const values = {};
  for (const f of ALL_FIELDS) {
    const v = getPath(request, f.path);
    values[f.path] = v === null || v === undefined ? (f.kind === 'multi' || f.kind === 'countries' ? [] : '') : v;
  }
  const entities = (getPath(request, 'authorisation.authorized_entities') || []).map((e) =>
    Object.fromEntries(ENTITY_FIELDS.map((f) => [f.key, e[f.key] ?? ''])));
  return { values, entities };
}

// A server path to the field that shows it: list entries of plain lists belong to the list.
export function fieldPathFor(serverPath) {
  if (/^authorisation\.authorized_entities\[\d+\]\./.test(serverPath)) return serverPath;
  return serverPath.replace(/\[\d+\]$/, '');
}
