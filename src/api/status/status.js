/*
 * The status page: plain browser JavaScript (ES modules, no build step). Every 5 seconds while the
 * tab is visible it reads the portfolio list and, for the chosen portfolio, its allocation,
 * history and model from the API of the same origin, and redraws the table and the charts.
 * A failed request shows the error body's message and polling carries on; a 401/403 (reads
 * protected with api.protectReads) asks for the token, which is kept in sessionStorage only.
 * The body's data-polls counts the finished polls.
 */
/* global document, window, location, history, sessionStorage, fetch, clearTimeout */
import { COLORS, curveOptions, dropCharts, historyOptions, plot, resizeCharts, setOperatingPoint } from './charts.js';
import { finite, interval, money, percent, ratio, utc } from './format.js';

const POLL_MS = 5000;
const HISTORY_LIMIT = 96;
const TOKEN_KEY = 'spendflow.apiToken';

const state = { selected: null, ids: '', timer: null, busy: false, again: false, polls: 0, errors: '' };
const $ = (id) => document.getElementById(id);

/** A DOM element: `text` sets textContent, `class` the class, other keys attributes. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'text') node.textContent = String(v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// ---- API -----------------------------------------------------------------------------------
/** GET a JSON route: { ok, status, body } or { ok: false, status, message } (status 0: no answer). */
async function api(path) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(path, { headers, cache: 'no-store' });
  } catch (err) {
    return { ok: false, status: 0, message: `cannot reach the service (${err.message})` };
  }
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok && body !== null) return { ok: true, status: res.status, body };
  const message = body && body.error && typeof body.error.message === 'string' ? body.error.message : `HTTP ${res.status} ${res.statusText}`;
  return { ok: false, status: res.status, message };
}

// ---- rendering -----------------------------------------------------------------------------
/** The portfolio named in the URL's fragment (#demo-shop), if any. */
function fromHash() {
  try {
    return decodeURIComponent(location.hash.slice(1));
  } catch {
    return '';
  }
}

function renderPicker(portfolios) {
  const select = $('portfolio');
  const ids = portfolios.map((p) => p.id);
  const wanted = fromHash();
  const next = ids.includes(wanted) ? wanted : ids.includes(state.selected) ? state.selected : (ids[0] ?? null);
  const labels = portfolios.map((p) => `${p.id} (${p.currency}, ${p.channels} channels${p.paused ? ', paused' : ''})`);
  if (labels.join('\n') !== state.ids) {
    state.ids = labels.join('\n');
    select.replaceChildren(...portfolios.map((p, i) => el('option', { value: p.id, text: labels[i] })));
    if (ids.length === 0) select.append(el('option', { value: '', text: 'no portfolio configured' }));
  }
  select.disabled = ids.length === 0;
  if (next !== state.selected) choose(next);
  if (next !== null) select.value = next;
}

function fact(label, value, field) {
  return el('div', {}, el('dt', { text: label }), el('dd', { text: value, 'data-field': field }));
}

function renderAllocation(a) {
  const c = a.currency;
  const gap = a.gap === null || a.gap === undefined ? 'none yet' : a.gap < 1e-6 ? '< 0.0001%' : percent(a.gap, 4);
  $('allocation-facts').replaceChildren(
    fact('Version', String(a.version), 'version'),
    fact('Status', a.paused ? `${a.status} (paused: kill switch on)` : a.status, 'status'),
    fact('Budget', money(a.budget, c), 'budget'),
    fact('Expected revenue, baseline included', money(a.expectedRevenue, c), 'expected-revenue'),
    fact('Certified gap', gap, 'gap'),
    fact('Applies', a.effectiveFrom ? `${utc(a.effectiveFrom)} → ${utc(a.effectiveUntil)}` : 'now', 'effective'),
    fact('Guardrails', a.guardrails.length > 0 ? a.guardrails.join(', ') : 'none', 'guardrails'),
    fact('Buckets seen', String(a.bucketsSeen ?? 0), 'buckets-seen'),
  );
  $('allocation-summary').textContent = a.summary ? `Why: ${a.summary}` : '';
  const rows = a.channels.map((ch) => el('tr', { 'data-channel': ch.channelId },
    el('th', { scope: 'row', text: ch.channelId }),
    el('td', { text: ch.platform }),
    el('td', { class: 'num', 'data-share': ch.share }, shareCell(ch.share)),
    el('td', { class: 'num', text: money(ch.budget, c) }),
    el('td', { class: 'num', text: money(ch.expectedRevenue, c) }),
    el('td', { class: 'num', text: ratio(ch.marginalRoi) }),
  ));
  $('allocation-table').tBodies[0].replaceChildren(...rows);
  const sum = (f) => (a.channels.some((ch) => finite(ch[f])) ? a.channels.reduce((s, ch) => s + (finite(ch[f]) ? ch[f] : 0), 0) : null);
  $('allocation-table').tFoot.replaceChildren(el('tr', {},
    el('th', { scope: 'row', text: 'Total' }), el('td'),
    el('td', { class: 'num', text: percent(sum('share')) }),
    el('td', { class: 'num', text: money(sum('budget'), c) }),
    el('td', { class: 'num', text: money(sum('expectedRevenue'), c) }), el('td'),
  ));
}

function shareCell(share) {
  const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
  bar.style.width = `${Math.max(0, Math.min(1, share)) * 100}%`;
  return el('span', { class: 'share' }, el('span', { class: 'track', 'aria-hidden': 'true' }, bar), el('span', { text: percent(share) }));
}

function renderHistory(h) {
  const container = $('history-chart');
  const buckets = h.buckets;
  const note = $('history-note');
  const latest = $('history-latest');
  if (buckets.length === 0) {
    note.textContent = 'Learning: no bucket closed yet. The chart appears when the first bucket closes.';
    latest.textContent = '';
    dropCharts('history');
    container.hidden = true;
    container.dataset.points = '0';
    delete container.dataset.lastBucket;
    return;
  }
  const forecasts = buckets.filter((b) => b.predicted !== null).length;
  note.textContent = forecasts > 0 ? '' : `No forecast yet: the model forecasts a bucket once it has fitted (${buckets.length} bucket(s) closed so far).`;
  container.hidden = false;
  const p = (b, f) => (b.predicted === null ? null : b.predicted[f]);
  const data = [
    buckets.map((b) => Date.parse(b.start) / 1000),
    buckets.map((b) => b.revenue),
    buckets.map((b) => p(b, 'mean')),
    buckets.map((b) => p(b, 'low')),
    buckets.map((b) => p(b, 'high')),
  ];
  plot('history', container, (w) => historyOptions(w, h.currency), data, COLORS.actual);
  const last = buckets[buckets.length - 1];
  container.dataset.lastBucket = last.start;
  const money2 = (v) => money(v, h.currency);
  const forecast = last.predicted === null
    ? 'no forecast for it'
    : `predicted ${money2(last.predicted.mean)} (90% interval ${interval(last.predicted.low, last.predicted.high, money2)})`;
  latest.textContent = `Latest bucket, ${utc(last.start)} (${h.bucketMinutes} min): revenue ${money2(last.revenue)}, ${forecast}. ${buckets.length} bucket(s) shown, ${forecasts} with a forecast.`;
  container.setAttribute('aria-label', `Chart of actual vs predicted revenue per bucket, ${utc(buckets[0].start)} to ${utc(last.start)}. ${latest.textContent}`);
}

/** The curve's value at `spend`, linearly between its sampled points. */
function responseAt(points, spend) {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (spend <= b.spend) return b.spend === a.spend ? b.response : a.response + ((spend - a.spend) / (b.spend - a.spend)) * (b.response - a.response);
  }
  return points.length > 0 ? points[points.length - 1].response : 0;
}

function curveCard(ch) {
  return el('article', { class: 'curve', 'data-channel': ch.channelId },
    el('h3', { text: ch.channelId }),
    el('p', { class: 'roi', 'data-roi': ch.channelId }),
    el('div', { class: 'chart', 'data-chart': 'curve', 'data-channel': ch.channelId, 'data-points': '0', role: 'img' }),
  );
}

function renderModel(m) {
  const box = $('curves');
  const note = $('model-note');
  if (m.status === 'none' || m.channels.length === 0) {
    note.textContent = `Model status: none. No fitted model yet (${m.bucketsSeen} bucket(s) seen${m.problem ? `; ${m.problem}` : ''}); the curves appear once it has fitted.`;
    dropCharts('curve:');
    box.replaceChildren();
    return;
  }
  note.textContent = m.status === 'failing'
    ? `Model status: failing: ${m.problem ?? 'unknown problem'}. Showing its last fitted curves.`
    : `Model status: fitted on ${m.bucketsSeen} bucket(s), last bucket ${utc(m.lastBucket)}.`;
  const ids = m.channels.map((ch) => ch.channelId);
  if (ids.join('\n') !== [...box.children].map((c) => c.dataset.channel).join('\n')) {
    dropCharts('curve:');
    box.replaceChildren(...m.channels.map(curveCard));
  }
  m.channels.forEach((ch, i) => {
    const card = box.children[i];
    // The ring sits on the drawn line; the text gives the model's own figure where it has one.
    const response = responseAt(ch.points, ch.spend);
    const revenue = finite(ch.contribution?.mean) ? ch.contribution.mean : response;
    const roi = ch.marginalRoi;
    const text = card.querySelector('.roi');
    text.replaceChildren(
      'Marginal ROI ', el('strong', { text: ratio(roi.mean) }),
      ` (90% interval ${interval(roi.low, roi.high, ratio)}) at the current spend of ${money(ch.spend, m.currency)}, which brings ${money(revenue, m.currency)}`,
      ...(ch.adapting ? [el('span', { class: 'flag', text: ' (adapting to a detected change)' })] : []),
    );
    const container = card.querySelector('.chart');
    container.setAttribute('aria-label', `Response curve of ${ch.channelId}: expected revenue against spend per bucket. ${text.textContent}.`);
    const data = [ch.points.map((p) => p.spend), ch.points.map((p) => p.response), ch.points.map((p) => p.low), ch.points.map((p) => p.high)];
    const key = `curve:${ch.channelId}`;
    setOperatingPoint(key, { spend: ch.spend, response });
    plot(key, container, (w) => curveOptions(w, m.currency, key), data, COLORS.curve);
  });
}

function showProblems(problems, denied) {
  const text = problems.join('\n');
  if (text !== state.errors) {
    state.errors = text;
    const box = $('errors');
    box.replaceChildren(...problems.map((p) => el('p', { text: p })));
    box.hidden = problems.length === 0;
  }
  const token = $('token');
  token.hidden = denied.length === 0;
  if (denied.length > 0) {
    const had = sessionStorage.getItem(TOKEN_KEY) !== null;
    $('token-reason').textContent = `${had ? 'The API refused the token' : 'The API needs a token to read'}: ${denied[0]}`;
  }
}

function setLive(text) {
  $('live').textContent = text;
}

// ---- polling -------------------------------------------------------------------------------
async function refresh() {
  const problems = [];
  const denied = [];
  const check = (what, r) => {
    if (r.ok) return true;
    problems.push(`${what}: ${r.message}`);
    if (r.status === 401 || r.status === 403) denied.push(r.message);
    return false;
  };
  const list = await api('/v1/portfolios');
  if (check('Portfolio list', list)) renderPicker(list.body.portfolios);
  const id = state.selected;
  if (id !== null) {
    const base = `/v1/portfolios/${encodeURIComponent(id)}`;
    const [allocation, hist, model] = await Promise.all([api(`${base}/allocation`), api(`${base}/history?limit=${HISTORY_LIMIT}`), api(`${base}/model`)]);
    if (id !== state.selected) return;
    if (check('Allocation', allocation)) renderAllocation(allocation.body);
    if (check('History', hist)) renderHistory(hist.body);
    if (check('Model', model)) renderModel(model.body);
  }
  showProblems(problems, [...new Set(denied)]);
  const at = new Date().toLocaleTimeString();
  setLive(problems.length === 0 ? `Updated ${at}; next update in 5 s.` : `Last update ${at}: ${problems.length} request(s) failed; retrying every 5 s.`);
  state.polls += 1;
  document.body.dataset.polls = String(state.polls);
}

async function poll() {
  state.timer = null;
  if (document.hidden) {
    setLive('Paused while this tab is hidden.');
    return;
  }
  state.busy = true;
  try {
    await refresh();
  } catch (err) {
    console.error('status page:', err);
    showProblems([`The page failed to show the data: ${err.message}`], []);
  } finally {
    state.busy = false;
  }
  if (state.again) {
    state.again = false;
    return poll();
  }
  if (document.hidden) setLive('Paused while this tab is hidden.');
  else state.timer = setTimeout(poll, POLL_MS);
}

function pollNow() {
  clearTimeout(state.timer);
  state.timer = null;
  if (state.busy) state.again = true;
  else void poll();
}

/** Switches to another portfolio: clears what was shown for the last one. */
function choose(id) {
  state.selected = id;
  if (id !== null) history.replaceState(null, '', `#${encodeURIComponent(id)}`);
  dropCharts('');
  for (const node of ['allocation-facts', 'allocation-summary', 'history-note', 'history-latest', 'model-note', 'curves']) $(node).replaceChildren();
  $('allocation-table').tBodies[0].replaceChildren();
  $('allocation-table').tFoot.replaceChildren();
  $('history-chart').hidden = true;
}

function start() {
  $('portfolio').addEventListener('change', (e) => {
    choose(e.target.value || null);
    pollNow();
  });
  window.addEventListener('hashchange', pollNow);
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('token-input');
    const token = input.value.trim();
    input.value = '';
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    pollNow();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    pollNow();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(state.timer);
      state.timer = null;
      setLive('Paused while this tab is hidden.');
    } else {
      pollNow();
    }
  });
  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(resizeCharts, 150);
  });
  void poll();
}

start();
