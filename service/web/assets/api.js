// Talking to the a6auth API from the portal: the session (token in sessionStorage, sent as
// Authorization: Bearer, never in a URL), JSON calls that turn problem+json into ApiError, and
// uploads with progress events.

const SESSION_KEY = 'a6auth.session';

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get fieldErrors() { return Array.isArray(this.problem.errors) ? this.problem.errors : []; }
}

export function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (!s || !s.token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return null;
    }
    return s;
  } catch (_) {
    return null;
  }
}

export function forgetSession() { sessionStorage.removeItem(SESSION_KEY); }

export async function signIn(username, password) {
  const res = await fetch('/api/v1/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username, password }),
    credentials: 'omit',
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    err.retryAfter = Number(res.headers.get('Retry-After') || 0);
    throw err;
  }
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(data));
  return data;
}

function authHeaders() {
  const s = session();
  return s ? { Authorization: `Bearer ${s.token}` } : {};
}

function expired() {
  forgetSession();
  window.dispatchEvent(new CustomEvent('a6:session-ended'));
}

// api('GET', '/api/v1/requests') → { data, etag, status }
export async function api(method, path, { json, patch, ifMatch, idempotencyKey } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (patch !== undefined) {
    headers['Content-Type'] = 'application/merge-patch+json';
    body = JSON.stringify(patch);
  }
  if (ifMatch !== undefined) headers['If-Match'] = `"${ifMatch}"`;
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const res = await fetch(path, { method, headers, body, credentials: 'omit' });
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (res.status === 401 && headers.Authorization) expired();
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, etag: res.headers.get('ETag'), status: res.status };
}

// A file the API serves (a letter, an attachment), handed to the browser as a download.
export async function download(path, fallbackName) {
  const res = await fetch(path, { headers: authHeaders(), credentials: 'omit' });
  if (!res.ok) {
    const data = await res.json().catch(() => null);
    if (res.status === 401) expired();
    throw new ApiError(res.status, data);
  }
  const blob = await res.blob();
  const disposition = res.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(disposition);
  const name = (m && m[1]) || fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return name;
}

// Uploads a file as the raw body with XMLHttpRequest, whose upload events give progress.
export function upload(path, file, { ifMatch, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const headers = authHeaders();
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (ifMatch !== undefined) xhr.setRequestHeader('If-Match', `"${ifMatch}"`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) {
        if (onProgress) onProgress(file.size, file.size);
        resolve({ data, etag: xhr.getResponseHeader('ETag') });
      } else {
        if (xhr.status === 401) expired();
        reject(new ApiError(xhr.status, data));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { detail: 'network error' })));
    xhr.send(file);
  });
}

// POST /api/v1/verify: its 200, 404 and 422 all carry a Verification, not an error.
export async function verifyLetter(file) {
  const res = await fetch('/api/v1/verify', {
    method: 'POST',
    headers: { 'Content-Type': 'application/pdf', Accept: 'application/json' },
    body: file,
    credentials: 'omit',
  });
  const data = await res.json().catch(() => null);
  if (data && data.result) return data;
  throw new ApiError(res.status, data);
}

// The version in an ETag: "7" → 7
export function versionOf(etag) {
  const m = /"?(\d+)"?$/.exec(etag || '');
  return m ? Number(m[1]) : undefined;
}

export function newIdempotencyKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
