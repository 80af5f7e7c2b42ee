// Building the page: a small element helper (no innerHTML anywhere, so that text from the server
// is always text), and the live regions that announce what happened to screen readers.

// h('a', {href: '#/', class: 'x', on: {click: fn}}, 'text', child, …)
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith('svg:');
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [type, fn] of Object.entries(v)) el.addEventListener(type, fn);
    } else if (k === 'text') {
      el.textContent = v;
    } else if (!svg && ['value', 'checked', 'disabled', 'hidden', 'required', 'multiple', 'selected', 'readOnly'].includes(k)) {
      el[k] = v;
    } else {
      el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A polite announcement (saved, uploaded…) or an assertive one for errors.
export function announce(message, kind = 'info') {
  const status = document.getElementById('status');
  const alert = document.getElementById('alert');
  const target = kind === 'error' ? alert : status;
  const other = kind === 'error' ? status : alert;
  clear(other);
  other.hidden = true;
  clear(target);
  target.hidden = !message;
  target.className = `notice notice-${kind}`;
  if (message) target.append(message);
}

export function clearAnnouncements() {
  for (const id of ['status', 'alert']) {
    const el = document.getElementById(id);
    clear(el);
    el.hidden = true;
  }
}

// A stable id for a field path: authorisation.authorized_entities[0].name → f-authorisation-authorized_entities-0-name
export function fieldId(path) {
  return 'f-' + path.replace(/\[(\d+)\]/g, '.$1').replace(/[^A-Za-z0-9_]+/g, '-');
}

let counter = 0;
export function uid(prefix = 'id') {
  counter += 1;
  return `${prefix}-${counter}`;
}

// Element.append() writes "null" for a missing child; this leaves it out.
export function put(parent, ...children) {
  parent.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return parent;
}
