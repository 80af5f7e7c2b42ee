// The portal's shell: header, navigation by role, language choice, sign-in and sign-out, and the
// router. Signed-in pages live under "/#/…" (the server serves one page at "/"); the public
// verification page is "/verify", where the QR code of a letter leads.
import { h, clear, put, announce, clearAnnouncements } from './dom.js';
import { t, lang, setLang, LANGUAGES } from './i18n.js';
import { session, signIn, forgetSession, ApiError } from './api.js';
import { listPage, formPage } from './pages-applicant.js';
import { queuePage, requestPage, authorisationPage } from './pages-ministry.js';
import { verifyPage } from './page-verify.js';

const READERS = ['reviewer', 'approver', 'admin', 'auditor'];

function user() { return session()?.user || null; }
function isStaff(u) { return !!u && u.roles.some((r) => READERS.includes(r)); }
function isApplicant(u) { return !!u && u.roles.includes('applicant'); }

const routes = [
  [/^\/?$/, home],
  [/^\/sign-in$/, signInPage],
  [/^\/queue$/, queuePage],
  [/^\/requests$/, listPage],
  [/^\/requests\/new$/, formPage],
  [/^\/requests\/([^/]+)\/edit$/, formPage],
  [/^\/requests\/([^/]+)$/, requestPage],
  [/^\/authorisations\/([^/]+)$/, authorisationPage],
];

function currentRoute() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  return hash.split('?')[0];
}

export function navigate(path) {
  if (location.pathname !== '/') {
    location.assign(`/#${path}`);
    return;
  }
  if (location.hash === `#${path}`) render();
  else location.hash = path;
}

function header() {
  const u = user();
  const banner = document.getElementById('banner');
  clear(banner);
  const links = [];
  if (u && isStaff(u)) {
    links.push(['#/queue', t('nav.queue')]);
    links.push(['#/requests', t('nav.requests')]);
  }
  if (u && isApplicant(u)) {
    links.push(['#/requests', t('nav.myRequests')]);
    links.push(['#/requests/new', t('nav.newRequest')]);
  }
  links.push(['/verify', t('nav.verify')]);
  const here = location.pathname === '/verify' ? '/verify' : `#${currentRoute()}`;
  const seen = new Set();
  const nav = h('nav', { 'aria-label': t('nav.main') },
    h('ul', {}, links.filter(([href]) => (seen.has(href) ? false : seen.add(href))).map(([href, label]) =>
      h('li', {}, h('a', { href: href.startsWith('#') ? `/${href}` : href, 'aria-current': here === href ? 'page' : null }, label)))));

  const select = h('select', { id: 'language', on: { change: (e) => { setLang(e.target.value); clearAnnouncements(); render(); } } },
    Object.entries(LANGUAGES).map(([code, name]) => h('option', { value: code, selected: code === lang(), lang: code }, name)));

  const tools = h('div', { class: 'tools' },
    h('label', { for: 'language' }, t('app.language')), select,
    u ? h('span', { class: 'who' }, t('app.signedInAs', { name: u.display_name || u.name })) : null,
    u ? h('button', { type: 'button', class: 'secondary', id: 'sign-out', on: { click: signOut } }, t('app.signOut')) : null);

  banner.append(
    h('div', { class: 'bar' },
      h('a', { href: '/#/', class: 'brand' }, h('img', { src: '/assets/icon.svg', alt: '', width: 28, height: 28 }), t('app.name')),
      tools),
    nav);
  document.getElementById('skip').textContent = t('app.skip');
  document.getElementById('footer-text').textContent = t('app.footer');
}

function signOut() {
  forgetSession();
  navigate('/sign-in');
  announce(t('signin.signedOut'));
}

async function home(main, params, ctx) {
  const u = ctx.user;
  navigate(isStaff(u) ? '/queue' : '/requests');
}

function signInPage(main) {
  document.title = `${t('signin.title')} · a6auth`;
  const username = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 });
  const button = h('button', { type: 'submit' }, t('signin.submit'));
  const form = h('form', { class: 'narrow', novalidate: true, on: { submit: async (e) => {
    e.preventDefault();
    if (!username.value || !password.value) {
      announce(t('signin.failed'), 'error');
      (username.value ? password : username).focus();
      return;
    }
    button.disabled = true;
    try {
      await signIn(username.value.trim(), password.value);
      clearAnnouncements();
      const wanted = sessionStorage.getItem('a6auth.wanted');
      sessionStorage.removeItem('a6auth.wanted');
      navigate(wanted && wanted !== '/sign-in' ? wanted : '/');
    } catch (err) {
      password.value = '';
      if (err instanceof ApiError && err.status === 429) {
        announce(t('signin.throttled', { minutes: Math.max(1, Math.ceil((err.retryAfter || 60) / 60)) }), 'error');
      } else if (err instanceof ApiError && err.status === 401) {
        announce(t('signin.failed'), 'error');
      } else {
        announce(t('app.error', { detail: err.message }), 'error');
      }
      password.focus();
    } finally {
      button.disabled = false;
    }
  } } },
  h('div', { class: 'field' }, h('label', { for: 'username' }, t('signin.username')), username),
  h('div', { class: 'field' }, h('label', { for: 'password' }, t('signin.password')), password),
  h('div', { class: 'actions' }, button));
  put(main, 
    h('h1', { tabindex: '-1' }, t('signin.title')),
    h('p', {}, t('signin.intro')),
    form,
    h('p', { class: 'aside' }, t('signin.verifyHint'), ' ', h('a', { href: '/verify' }, t('nav.verify'))));
}

let renderCount = 0;

export async function render() {
  const run = ++renderCount;
  header();
  const main = clear(document.getElementById('main'));
  const u = user();
  const ctx = { user: u, navigate, render, isStaff: isStaff(u), isApplicant: isApplicant(u), stale: () => run !== renderCount };
  try {
    if (location.pathname === '/verify') {
      await verifyPage(main, [], ctx);
    } else {
      const path = currentRoute();
      if (!u && path !== '/sign-in') {
        sessionStorage.setItem('a6auth.wanted', path);
        navigate('/sign-in');
        return;
      }
      const match = routes.map(([re, page]) => [re.exec(path), page]).find(([m]) => m);
      if (!match) {
        document.title = 'a6auth';
        put(main, h('h1', { tabindex: '-1' }, t('app.notFound')));
      } else {
        await match[1](main, match[0].slice(1), ctx);
      }
    }
  } catch (err) {
    if (run !== renderCount) return;
    if (err instanceof ApiError && err.status === 401) return;  // the session ended: sign-in follows
    put(main, h('p', { class: 'notice notice-error', role: 'alert' }, t('app.error', { detail: err.message })));
  }
  if (run === renderCount) {
    const heading = main.querySelector('h1');
    if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
  }
}

window.addEventListener('hashchange', () => { clearAnnouncements(); render(); });
window.addEventListener('a6:session-ended', () => {
  navigate('/sign-in');
  announce(t('signin.expired'), 'error');
});

setLang(lang());
render();
