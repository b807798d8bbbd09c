// Watchkeeper's page: the watches the caller may see, and a live table of one of them, fed by the stream
// (WS /api/v1alpha1/stream). No framework and no build step. The token lives in this tab's sessionStorage only and is
// sent as the stream's first message and in Authorization headers, never in a URL.
'use strict';

const $ = id => document.getElementById(id);
const state = {
  token: sessionStorage.getItem('watchkeeper-token'),
  ws: null,
  retry: 0,
  watches: [],
  current: null,      // the watch shown
  subscription: null, // its subscription id
  kind: null,         // Pod, Service, or anything else
  rv: null,           // the last resourceVersion seen (opaque), to resume after a reconnect
  stale: false,       // the operator said the current watch's cache is not current
  subscribeRetry: 0,  // failed SUBSCRIBEs in a row (a restarted operator that does not serve the watch yet)
  objects: new Map(), // uid -> object
  rows: new Map(),    // uid -> <tr>
  dirty: new Map(),   // uid -> {object, deleted, changed}, drawn on the next animation frame
  insight: new Map(), // namespace/name -> problem reason (pods) or {selectedPods, readyPods} (services)
  sequence: 0,
};

function headers() {
  return state.token ? { Authorization: 'Bearer ' + state.token } : {};
}

async function api(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    const error = new Error(body.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function setConnection(s, text) {
  const el = $('connection');
  el.dataset.state = s;
  el.textContent = text || s;
}

// --- start: does the API want a token? ---------------------------------------------------------------------------
async function start() {
  try {
    await api('/api/v1alpha1/watches');
    signedIn();
  } catch (e) {
    if (e.status === 401) {
      showSignIn(state.token ? 'The token was not accepted: ' + e.message : '');
    } else {
      showSignIn('Cannot reach Watchkeeper: ' + e.message);
    }
  }
}

function showSignIn(message) {
  state.token = null;
  sessionStorage.removeItem('watchkeeper-token');
  $('signin').hidden = false;
  $('app').hidden = true;
  $('signin-error').textContent = message || '';
  setConnection('disconnected', 'signed out');
}

$('signin-form').addEventListener('submit', event => {
  event.preventDefault();
  state.token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem('watchkeeper-token', state.token);
  start();
});

function signedIn() {
  $('signin').hidden = true;
  $('app').hidden = false;
  loadWatches();
  if (!state.ws) {
    connect();
  }
}

// --- the watch list ------------------------------------------------------------------------------------------------
async function loadWatches() {
  try {
    state.watches = (await api('/api/v1alpha1/watches')).items;
  } catch (e) {
    $('view-error').textContent = 'Cannot list watches: ' + e.message;
    return;
  }
  const list = $('watches');
  list.replaceChildren();
  for (const w of state.watches) {
    const li = document.createElement('li');
    const ready = ((w.status && w.status.conditions) || []).find(c => c.type === 'Ready') || {};
    li.dataset.key = watchKey(w);
    li.dataset.ready = ready.status || 'Unknown';
    li.textContent = (w.namespace ? w.namespace + '/' : '') + w.name + ' (' + w.resource + ')';
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.textContent = (ready.reason || 'not reconciled yet') + (w.status && w.status.informer ? ' · ' + w.status.informer.items + ' items' : '');
    li.appendChild(reason);
    li.classList.toggle('selected', state.current && watchKey(state.current) === watchKey(w));
    li.addEventListener('click', () => show(w));
    list.appendChild(li);
  }
}

function watchKey(w) {
  return w.kind + '/' + (w.namespace || '') + '/' + w.name;
}

// --- the stream ----------------------------------------------------------------------------------------------------
function connect() {
  setConnection('connecting', 'connecting…');
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/v1alpha1/stream');
  state.ws = ws;
  ws.onopen = () => {
    if (state.token) {
      ws.send(JSON.stringify({ type: 'AUTH', token: state.token }));
    }
  };
  ws.onmessage = event => receive(JSON.parse(event.data));
  ws.onclose = () => {
    if (state.ws !== ws) {
      return;
    }
    state.ws = null;
    if ($('app').hidden) {
      return; // signed out
    }
    const delay = Math.min(15000, 500 * 2 ** state.retry++);
    setConnection('disconnected', 'reconnecting in ' + Math.round(delay / 1000) + ' s');
    setTimeout(() => { if (!state.ws) connect(); }, delay);
  };
}

function send(message) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) {
    state.ws.send(JSON.stringify(message));
  }
}

function receive(m) {
  if (m.id && m.id !== state.subscription) {
    return; // a subscription given up meanwhile
  }
  switch (m.type) {
    case 'READY':
      state.retry = 0;
      $('user').textContent = m.user;
      loadWatches();
      if (state.current) {
        // the rows shown are from before the reconnect: live again only once the subscription says so
        setConnection('connecting', 'resuming…');
        subscribe(state.rv); // resume where we were
      } else {
        setConnection('live', 'live');
      }
      break;
    case 'SNAPSHOT':
      state.subscribeRetry = 0;
      if (state.stale) {
        state.stale = false;
        $('view-error').textContent = '';
      }
      setConnection('live', 'live');
      state.objects.clear();
      state.rows.clear();
      state.dirty.clear();
      $('rows').replaceChildren();
      for (const o of m.items) {
        changed(o, false, false);
      }
      state.rv = m.resourceVersion;
      break;
    case 'ADDED':
    case 'MODIFIED':
      changed(m.object, false, true);
      state.rv = m.resourceVersion;
      break;
    case 'DELETED':
      changed(m.object, true, false);
      state.rv = m.resourceVersion;
      break;
    case 'BOOKMARK':
      state.rv = m.resourceVersion;
      if (state.stale) {
        state.stale = false;
        $('view-error').textContent = '';
        setConnection('live', 'live');
      }
      break;
    case 'STALE':
      // the operator's cache for this watch is not current (relisting, failing, restarting): never look live then
      state.rv = m.resourceVersion;
      state.stale = true;
      setConnection('stale', 'stale');
      $('view-error').textContent = m.message;
      break;
    case 'ERROR':
      if (m.code === 401) {
        showSignIn(m.message);
      } else if (m.code === 410 && state.current) {
        // the watch changed its question or went away: start over (a deleted one then answers 404)
        $('view-error').textContent = m.message;
        setTimeout(() => { if (state.current) { loadWatches(); subscribe(null); } }, 1000);
      } else if ((m.code === 503 || m.code === 404) && state.current) {
        // not served yet (a restarted operator whose caches start, or that has not read the watch yet): the rows
        // shown may be out of date, so never look live; try again, less often each time
        $('view-error').textContent = m.message;
        setConnection('stale', 'not current');
        const delay = Math.min(15000, 1000 * 2 ** state.subscribeRetry++);
        const failed = state.subscription;
        setTimeout(() => { if (state.current && state.subscription === failed) { loadWatches(); subscribe(state.rv); } }, delay);
      } else {
        $('view-error').textContent = m.message;
      }
      break;
    case 'RESUMED': // the missed changes follow
      state.subscribeRetry = 0;
      $('view-error').textContent = '';
      setConnection('live', 'live');
      break;
    default:
      break;
  }
}

// --- one watch's table ---------------------------------------------------------------------------------------------
const COLUMNS = {
  Pod: [
    ['Namespace', o => o.metadata.namespace],
    ['Name', o => o.metadata.name],
    ['Phase', o => (o.status && o.status.phase) || 'Pending'],
    ['Ready', o => { const cs = (o.status && o.status.containerStatuses) || []; return cs.filter(c => c.ready).length + '/' + ((o.spec && o.spec.containers) || cs).length; }],
    ['Restarts', o => ((o.status && o.status.containerStatuses) || []).reduce((n, c) => n + (c.restartCount || 0), 0)],
    ['Age', o => age(o)],
    ['Problem', o => state.insight.get(o.metadata.namespace + '/' + o.metadata.name) || '', 'problem'],
  ],
  Service: [
    ['Namespace', o => o.metadata.namespace],
    ['Name', o => o.metadata.name],
    ['Type', o => (o.spec && o.spec.type) || 'ClusterIP'],
    ['Selected pods', o => { const i = state.insight.get(o.metadata.namespace + '/' + o.metadata.name); return i ? i.selectedPods : ''; }],
    ['Ready pods', o => { const i = state.insight.get(o.metadata.namespace + '/' + o.metadata.name); return i ? i.readyPods : ''; }],
    ['State', o => { const i = state.insight.get(o.metadata.namespace + '/' + o.metadata.name); return i ? i.state : ''; }],
    ['Age', o => age(o)],
  ],
  other: [
    ['Namespace', o => o.metadata.namespace || ''],
    ['Name', o => o.metadata.name],
    ['Age', o => age(o)],
    ['Labels', o => Object.entries(o.metadata.labels || {}).map(([k, v]) => k + '=' + v).join(', ')],
  ],
};

function columns() {
  return COLUMNS[state.kind] || COLUMNS.other;
}

function show(w) {
  if (state.subscription) {
    send({ type: 'UNSUBSCRIBE', id: state.subscription });
  }
  state.current = w;
  state.kind = w.status && w.status.resolved ? w.status.resolved.kind : null;
  state.rv = null;
  state.insight.clear();
  $('title').textContent = (w.namespace ? w.namespace + '/' : '') + w.name;
  $('view-error').textContent = '';
  $('head').replaceChildren(...columns().map(([title]) => { const th = document.createElement('th'); th.textContent = title; return th; }));
  $('rows').replaceChildren();
  state.objects.clear();
  state.rows.clear();
  document.querySelectorAll('#watches li').forEach(li => li.classList.toggle('selected', li.dataset.key === watchKey(w)));
  subscribe(null);
  refreshInsight();
}

function subscribe(resourceVersion) {
  state.subscription = 's' + (++state.sequence);
  const w = state.current;
  const message = { type: 'SUBSCRIBE', id: state.subscription, watch: { kind: w.kind, namespace: w.namespace, name: w.name } };
  if (resourceVersion) {
    message.resourceVersion = resourceVersion;
  }
  send(message);
}

function changed(object, deleted, highlight) {
  const uid = object.metadata.uid || (object.metadata.namespace + '/' + object.metadata.name);
  const previous = state.dirty.get(uid);
  state.dirty.set(uid, { object, deleted, highlight: highlight || (previous && previous.highlight) });
  if (state.dirty.size === 1) {
    requestAnimationFrame(draw);
  }
}

// Changes are drawn once per frame, however many arrive: thousands of rows and bursts of events stay smooth.
function draw() {
  const body = $('rows');
  const filter = $('filter').value.toLowerCase();
  const fragment = document.createDocumentFragment();
  for (const [uid, change] of state.dirty) {
    const row = state.rows.get(uid);
    if (change.deleted) {
      if (row) {
        row.remove();
      }
      state.rows.delete(uid);
      state.objects.delete(uid);
      continue;
    }
    state.objects.set(uid, change.object);
    const tr = row || document.createElement('tr');
    fill(tr, change.object);
    tr.hidden = filter !== '' && !tr.textContent.toLowerCase().includes(filter);
    if (change.highlight) {
      // the Web Animations API restarts the flash without forcing a layout per row (which froze big tables)
      tr.animate([{ backgroundColor: '#fff3b0' }, { backgroundColor: 'transparent' }], { duration: 1500, easing: 'ease-out' });
    }
    if (!row) {
      tr.dataset.name = change.object.metadata.name;
      state.rows.set(uid, tr);
      fragment.appendChild(tr);
    }
  }
  state.dirty.clear();
  body.appendChild(fragment);
  $('count').textContent = state.rows.size + ' objects';
}

function fill(tr, object) {
  const cols = columns();
  while (tr.cells.length < cols.length) {
    tr.insertCell();
  }
  cols.forEach(([, value, className], i) => {
    const text = String(value(object));
    const cell = tr.cells[i];
    if (cell.textContent !== text) {
      cell.textContent = text;
    }
    if (className) {
      cell.className = className;
    }
  });
}

function age(o) {
  const created = Date.parse(o.metadata.creationTimestamp);
  if (!created) {
    return '';
  }
  const s = Math.max(0, Math.floor((Date.now() - created) / 1000));
  return s < 120 ? s + 's' : s < 7200 ? Math.floor(s / 60) + 'm' : s < 172800 ? Math.floor(s / 3600) + 'h' : Math.floor(s / 86400) + 'd';
}

function redrawAll() {
  for (const [uid, object] of state.objects) {
    if (!state.dirty.has(uid)) {
      changed(object, false, false);
    }
  }
}

$('filter').addEventListener('input', () => {
  const filter = $('filter').value.toLowerCase();
  for (const tr of state.rows.values()) {
    tr.hidden = filter !== '' && !tr.textContent.toLowerCase().includes(filter);
  }
});

// Problems and Service health come from the insight reads (the operator's caches, not the API server).
async function refreshInsight() {
  const w = state.current;
  if (!w || (state.kind !== 'Pod' && state.kind !== 'Service')) {
    return;
  }
  const query = w.namespace ? '?namespace=' + encodeURIComponent(w.namespace) : '';
  try {
    const problems = await api('/api/v1alpha1/problems' + query);
    state.insight.clear();
    if (state.kind === 'Pod') {
      problems.pods.forEach(p => state.insight.set(p.namespace + '/' + p.name, p.reason));
    } else {
      const services = await api('/api/v1alpha1/services/insight' + query);
      services.items.forEach(s => state.insight.set(s.namespace + '/' + s.name, s));
    }
    redrawAll();
  } catch (e) {
    // insight off, or not allowed: the columns stay empty
  }
}

setInterval(refreshInsight, 5000);
setInterval(() => { if (state.current) loadWatches(); }, 15000);
setInterval(redrawAll, 30000); // ages
start();
