// The agentid web console: plain ES module, no build step, no third-party code. Every call goes to /console/api with
// the session cookie; state-changing calls send the session's CSRF token in X-CSRF-Token. Data is only ever put into
// the page as text (textContent), never as HTML.
const API = '/console/api';
const SVG = 'http://www.w3.org/2000/svg';
let session = null;
const main = document.getElementById('main');
const statusLine = document.getElementById('status');

/** Creates an element: h('a', {href: '#x', class: 'y'}, 'text', child, ...). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function s(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function say(text, error = false) {
  statusLine.textContent = text;
  statusLine.className = error ? 'error' : '';
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error_description ? body.error_description : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const init = { method: options.method || 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (init.method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    if (session) init.headers['X-CSRF-Token'] = session.csrf_token;
    init.body = JSON.stringify(options.body || {});
  }
  const res = await fetch(path, init);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status === 401 && path.startsWith(API)) {
    session = null;
    showSignIn();
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function refused(e) {
  say(`Refused: ${e.message}${e.body && e.body.error ? ` (${e.body.error})` : ''}`, true);
}

const fmtTime = (t) => (t ? new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
function fmtAge(seconds) {
  if (seconds === undefined || seconds === null) return '—';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86400)} d`;
}
const badge = (text) => h('span', { class: `badge ${text}` }, text);

// ---- sign-in ---------------------------------------------------------------------------------------------------------

async function showSignIn() {
  document.getElementById('nav').hidden = true;
  document.getElementById('logout').hidden = true;
  document.getElementById('who').textContent = '';
  const config = await fetch(`${API}/config`).then((r) => r.json()).catch(() => ({ sign_in: false }));
  const params = new URLSearchParams(location.search);
  const box = h('div', { class: 'signin' }, h('h2', {}, 'Sign in'));
  if (params.get('sign_in_error')) {
    box.append(h('p', { class: 'error', role: 'alert', id: 'sign-in-error' },
      `Sign-in failed: ${params.get('sign_in_error_description') || params.get('sign_in_error')}`));
  }
  if (config.sign_in) {
    const hint = h('input', { id: 'login-hint', name: 'login_hint', autocomplete: 'username' });
    box.append(h('form', {
      id: 'sign-in-form',
      onsubmit: (ev) => {
        ev.preventDefault();
        const q = hint.value.trim() ? `?login_hint=${encodeURIComponent(hint.value.trim())}` : '';
        location.assign(`/console/login${q}`);
      },
    }, h('fieldset', {},
      h('legend', {}, `Identity provider: ${config.idp}`),
      h('label', { for: 'login-hint' }, 'User name (optional hint for the identity provider)'), hint,
      h('button', { type: 'submit', id: 'sign-in' }, 'Sign in with the identity provider'))));
  } else {
    box.append(h('p', {}, 'No identity provider is configured for the console (trust file "console"): only'
      + ' break-glass sign-in is available.'));
  }
  const token = h('input', { id: 'admin-token', type: 'password', autocomplete: 'off', required: true });
  box.append(h('form', {
    id: 'break-glass-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api('/console/login/break-glass', { method: 'POST', body: { admin_token: token.value } });
        token.value = '';
        history.replaceState(null, '', `/console/${location.hash || '#inventory'}`);
        await boot();
      } catch (e) {
        refused(e);
      }
    },
  }, h('fieldset', {},
    h('legend', {}, 'Break-glass (recorded as such in the audit trail)'),
    h('label', { for: 'admin-token' }, 'Admin token'), token,
    h('button', { type: 'submit', id: 'break-glass' }, 'Break-glass sign-in'))));
  main.replaceChildren(box);
}

// ---- navigation ------------------------------------------------------------------------------------------------------

const views = { inventory, agent: agentView, graph: graphView, approvals, alerts, audit: auditView, cluster };

function route() {
  if (!session) return;
  const hash = location.hash.replace(/^#/, '') || 'inventory';
  const [path, query] = hash.split('?');
  const [name, ...rest] = path.split('/');
  const view = views[name] || inventory;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  say('');
  view(decodeURIComponent(rest.join('/')), new URLSearchParams(query || ''));
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---- inventory -------------------------------------------------------------------------------------------------------

let inventoryDrawn = false;
async function inventory(_, params) {
  const q = h('input', { id: 'search', type: 'search', name: 'q', value: params.get('q') || '' });
  const status = h('select', { id: 'status-filter', name: 'status' },
    ...['', 'active', 'killed', 'deregistered'].map((v) => h('option', { value: v, selected: (params.get('status') || '') === v }, v || 'any')));
  const page = Number(params.get('page') || 1);
  const form = h('form', {
    class: 'filters', role: 'search',
    onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (q.value) p.set('q', q.value);
      if (status.value) p.set('status', status.value);
      go(`#inventory?${p}`);
    },
  }, h('label', { for: 'search' }, 'Search (id, owner, scope, audience, delegate)', q),
  h('label', { for: 'status-filter' }, 'Status', status), h('button', { type: 'submit', id: 'search-button' }, 'Search'));
  const table = h('table', { id: 'inventory' }, h('caption', { class: 'legend' }, 'Registered agents'),
    h('thead', {}, h('tr', {}, ...['Agent', 'Owner', 'Status', 'Review due', 'Key age', 'Last use', 'Live tokens',
      'Scopes', 'Audiences', 'Delegates'].map((t) => h('th', { scope: 'col' }, t)))));
  const tbody = h('tbody');
  table.append(tbody);
  const pager = h('div', { class: 'pager' });
  main.replaceChildren(h('h2', {}, 'Inventory'), form, table, pager);
  const query = new URLSearchParams({ page, size: 25 });
  if (params.get('q')) query.set('q', params.get('q'));
  if (params.get('status')) query.set('status', params.get('status'));
  let data;
  try {
    data = await api(`${API}/agents?${query}`);
  } catch (e) {
    refused(e);
    return;
  }
  for (const a of data.agents) {
    tbody.append(h('tr', { 'data-agent': a.agent_id },
      h('td', {}, h('a', { href: `#agent/${encodeURIComponent(a.agent_id)}` }, a.agent_id)),
      h('td', {}, a.owner), h('td', {}, badge(a.status)),
      h('td', {}, a.review_due ? fmtTime(a.review_due) : '—', a.review_overdue ? [' ', badge('overdue')] : null),
      h('td', {}, fmtAge(a.key_age_seconds)), h('td', {}, fmtTime(a.last_use)), h('td', {}, a.live_tokens),
      h('td', {}, a.scopes.join(' ')), h('td', {}, a.audiences.join(' ')), h('td', {}, a.delegates.join(' '))));
  }
  const pages = Math.max(1, Math.ceil(data.total / data.size));
  const to = (n) => {
    const p = new URLSearchParams(params);
    p.set('page', n);
    return `#inventory?${p}`;
  };
  pager.append(
    h('button', { type: 'button', id: 'prev-page', disabled: page <= 1, onclick: () => go(to(page - 1)) }, 'Previous'),
    h('span', { id: 'page-info' }, `Page ${data.page} of ${pages} (${data.total} agents)`),
    h('button', { type: 'button', id: 'next-page', disabled: page >= pages, onclick: () => go(to(page + 1)) }, 'Next'));
  if (!inventoryDrawn) {
    // the first time the table is drawn in this page load: milliseconds since navigation start (the 10,000-agent test)
    inventoryDrawn = true;
    performance.mark('inventory-drawn');
    document.body.dataset.inventoryDrawnMs = String(Math.round(performance.now()));
  }
  document.body.dataset.inventoryRows = String(data.agents.length);
}

// ---- agent detail ----------------------------------------------------------------------------------------------------

const confirmDialog = document.getElementById('confirm');
/** Asks for a reason and a confirmation; resolves with the reason, or null when cancelled. */
function confirmAction(title, text, okLabel) {
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = okLabel;
  const reason = document.getElementById('confirm-reason');
  reason.value = '';
  return new Promise((resolve) => {
    const form = document.getElementById('confirm-form');
    const cancel = document.getElementById('confirm-cancel');
    const done = (value) => {
      form.removeEventListener('submit', onSubmit);
      cancel.removeEventListener('click', onCancel);
      confirmDialog.removeEventListener('cancel', onCancel);
      if (confirmDialog.open) confirmDialog.close();
      resolve(value);
    };
    const onSubmit = (ev) => {
      ev.preventDefault();
      if (!reason.value.trim()) { reason.focus(); return; }
      done(reason.value.trim());
    };
    const onCancel = () => done(null);
    form.addEventListener('submit', onSubmit);
    cancel.addEventListener('click', onCancel);
    confirmDialog.addEventListener('cancel', onCancel);
    confirmDialog.showModal();
    reason.focus();
  });
}

function chainList(chains) {
  return h('ul', { class: 'chains' }, ...chains.map((c) => h('li', { class: `chain ${c.status}`, 'data-jti': c.jti },
    badge(c.status), ' ', c.chain.slice().reverse().join(' → '), ' for ', c.principal || '—', ' · token ',
    h('a', { href: `#audit?lineage=${encodeURIComponent(c.jti)}`, 'aria-label': `lineage of token ${c.jti}` }, c.jti),
    ` · expires ${fmtTime(c.expires_at)}`)));
}

async function agentView(id) {
  let a;
  try {
    a = await api(`${API}/agents/${encodeURIComponent(id)}`);
  } catch (e) {
    refused(e);
    return;
  }
  const act = async (verb) => {
    const reason = await confirmAction(`${verb === 'kill' ? 'Kill' : 'Restore'} ${a.agent_id}?`,
      verb === 'kill' ? 'Every token of this agent and every chain it is in stops verifying now, cluster-wide.'
        : 'The agent gets tokens again; tokens issued before the kill stay dead.', verb === 'kill' ? 'Kill agent' : 'Restore agent');
    if (reason === null) return;
    try {
      await api(`${API}/agents/${encodeURIComponent(a.agent_id)}/${verb}`, { method: 'POST', body: { reason } });
      await agentView(id);
      say(`${a.agent_id} ${verb === 'kill' ? 'killed' : 'restored'}.`);
    } catch (e) {
      refused(e);
    }
  };
  const facts = [['Owner', a.owner], ['Status', badge(a.status)], ['Review due', fmtTime(a.review_due)],
    ['Key age', fmtAge(a.key_age_seconds)], ['Last use', fmtTime(a.last_use)], ['Live tokens', a.live_tokens],
    ['Scopes', a.scopes.join(' ')], ['Audiences', a.audiences.join(' ')], ['Delegates', a.delegates.join(' ') || '—'],
    ['Registered', fmtTime(a.created_at)], ['Status changed', fmtTime(a.status_changed_at)],
    ['Last killed', fmtTime(a.last_killed_at)], ['Max delegation depth', a.max_delegation_depth],
    ['Token lifetime', `${a.token_ttl_seconds} s`], ['Needs approval', a.approval ? 'yes' : 'no']];
  main.replaceChildren(
    h('h2', {}, `Agent ${a.agent_id}`),
    h('dl', { class: 'facts', id: 'agent-facts', 'data-status': a.status }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('p', {},
      a.status === 'active' ? h('button', { type: 'button', id: 'kill', class: 'danger', onclick: () => act('kill') }, 'Kill…')
        : a.status === 'killed' ? h('button', { type: 'button', id: 'restore', class: 'ok', onclick: () => act('restore') }, 'Restore…') : null,
      a.status !== 'deregistered' && !session.roles.includes('operator') ? h('span', { class: 'legend' }, ' (needs the operator role)') : null,
      ' ', h('a', { href: `#graph/${encodeURIComponent(a.agent_id)}` }, 'Show in the delegation graph')),
    h('h3', {}, `Live chains (${a.chains.length})`), chainList(a.chains),
    h('h3', {}, `Alerts (${a.alerts.length})`),
    a.alerts.length ? h('ul', {}, ...a.alerts.map((al) => h('li', {}, `${fmtTime(al.time)} ${al.severity} ${al.detector}: `,
      h('pre', {}, JSON.stringify(al.evidence))))) : h('p', {}, 'None.'),
    h('h3', {}, 'Recent activity (this node, last 7 days)'), recordsTable(a.activity, 'activity'));
}

function recordsTable(records, id) {
  if (!records.length) return h('p', { id }, 'No records.');
  return h('table', { id }, h('thead', {}, h('tr', {}, ...['Time', 'Type', 'Agent', 'By', 'Token', 'Details'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...records.map((r) => {
      const f = r.fields || r;
      const rest = { ...f };
      for (const k of ['agent', 'by', 'jti']) delete rest[k];
      const depth = Array.isArray(f.anc) ? Math.min(f.anc.length, 4) : 0;
      return h('tr', { 'data-type': r.type, 'data-jti': f.jti || null },
        h('td', {}, fmtTime(r.time)), h('td', { class: `depth-${depth}` }, r.type), h('td', {}, f.agent || '—'),
        h('td', {}, f.by || '—'),
        h('td', {}, f.jti ? h('a', { href: `#audit?lineage=${encodeURIComponent(f.jti)}`, 'aria-label': `lineage of token ${f.jti}` }, f.jti) : '—'),
        h('td', {}, h('details', {}, h('summary', {}, 'fields'), h('pre', {}, JSON.stringify(rest, null, 1)))));
    })));
}

// ---- delegation graph ------------------------------------------------------------------------------------------------

async function graphView(agent) {
  const filter = h('input', { id: 'graph-agent', type: 'search', value: agent || '' });
  const form = h('form', {
    class: 'filters', role: 'search',
    onsubmit: (ev) => { ev.preventDefault(); go(`#graph${filter.value ? `/${encodeURIComponent(filter.value)}` : ''}`); },
  }, h('label', { for: 'graph-agent' }, 'Chains through agent (empty: all live chains)', filter), h('button', { type: 'submit' }, 'Show'));
  main.replaceChildren(h('h2', {}, 'Delegation graph'), form);
  let g;
  try {
    g = await api(`${API}/graph${agent ? `?agent=${encodeURIComponent(agent)}` : ''}`);
  } catch (e) {
    refused(e);
    return;
  }
  const orgs = [...new Set(g.nodes.map((n) => n.org))];
  const chainsBox = h('div', { id: 'graph-chains', 'aria-live': 'polite' });
  const side = h('div', { class: 'graph-side', id: 'graph-side' },
    h('p', { id: 'graph-summary' }, `${g.chains.length} live chains${g.total_chains > g.chains.length ? ` (newest of ${g.total_chains})` : ''}, `
      + `${g.nodes.length} agents. Select an agent to see its chains.`), chainsBox);
  const dot = (i) => {
    const svg = s('svg', { width: 12, height: 12, 'aria-hidden': 'true' });
    svg.append(s('circle', { cx: 6, cy: 6, r: 5, class: `org-${i % 5}` }));
    return svg;
  };
  const legend = h('p', { class: 'legend' }, ...orgs.map((o, i) => h('span', {}, dot(i), ` organisation ${o}`)),
    h('span', {}, 'red edge or ring: a dead chain or a killed agent'));
  const MAX_NODES = 400;
  if (g.nodes.length > MAX_NODES) {
    main.append(legend, h('p', {}, `${g.nodes.length} agents are too many to draw: filter by an agent.`), side);
    showChains(chainsBox, g.chains, null);
    return;
  }
  // layered layout: column = depth in its chains (root left), rows in id order
  const columns = new Map();
  for (const n of g.nodes) {
    if (!columns.has(n.depth)) columns.set(n.depth, []);
    columns.get(n.depth).push(n);
  }
  const pos = new Map();
  let height = 70;
  for (const [depth, nodes] of columns) {
    nodes.sort((a, b) => a.id.localeCompare(b.id));
    nodes.forEach((n, i) => pos.set(n.id, { x: 60 + depth * 220, y: 40 + i * 50 }));
    height = Math.max(height, 70 + nodes.length * 50);
  }
  const width = 160 + Math.max(0, ...columns.keys()) * 220 + 120;
  const svg = s('svg', { id: 'graph', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Delegation graph: agents and their live delegations' });
  const defs = s('defs');
  for (const kind of ['live', 'dead']) {
    const marker = s('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: 22, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse' });
    marker.append(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrow ${kind}` }));
    defs.append(marker);
  }
  svg.append(defs);
  for (const e of g.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    const kind = e.live === 0 ? 'dead' : 'live';
    const line = s('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y, class: `edge ${kind}`, 'data-from': e.from, 'data-to': e.to, 'marker-end': `url(#arrow-${kind})` });
    const title = s('title');
    title.textContent = `${e.from} → ${e.to}: ${e.live} live, ${e.dead} dead`;
    line.append(title);
    svg.append(line);
  }
  for (const n of g.nodes) {
    const p = pos.get(n.id);
    const node = s('g', { class: `node ${n.status}`, tabindex: 0, role: 'button', 'data-agent': n.id,
      'aria-label': `agent ${n.id}, ${n.status}, organisation ${n.org}` });
    node.append(s('circle', { cx: p.x, cy: p.y, r: 12, class: `org-${orgs.indexOf(n.org) % 5}` }));
    const label = s('text', { x: p.x - 12, y: p.y - 17 });
    label.textContent = n.id;
    node.append(label);
    const select = () => {
      for (const other of svg.querySelectorAll('g.node.selected')) other.classList.remove('selected');
      node.classList.add('selected');
      showChains(chainsBox, g.chains.filter((c) => c.chain.includes(n.id)), n);
    };
    node.addEventListener('click', select);
    node.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(); } });
    svg.append(node);
  }
  main.append(legend, h('div', { class: 'graph-wrap' }, svg, side));
  document.body.dataset.graphNodes = String(g.nodes.length);
}

function showChains(box, chains, node) {
  box.replaceChildren(
    h('h3', { id: 'chains-title' }, node ? `Chains through ${node.id} (${node.status})` : 'Live chains'),
    node && node.local ? h('p', {}, h('a', { href: `#agent/${encodeURIComponent(node.agent)}` }, `Open ${node.agent}`)) : null,
    chainList(chains));
}

// ---- approvals -------------------------------------------------------------------------------------------------------

async function approvals() {
  let data;
  try {
    data = await api(`${API}/approvals`);
  } catch (e) {
    refused(e);
    return;
  }
  const decide = async (p, verb) => {
    const ok = await confirmAction(`${verb === 'approve' ? 'Approve' : 'Deny'} request ${p.id}?`,
      `${p.agent} asks to act for ${p.principal} with ${p.scopes.join(' ')}.`, verb === 'approve' ? 'Approve' : 'Deny');
    if (ok === null) return;
    try {
      await api(`${API}/approvals/${encodeURIComponent(p.id)}/${verb}`, { method: 'POST', body: {} });
      await approvals();
      say(`Request ${p.id} ${verb === 'approve' ? 'approved' : 'denied'}.`);
    } catch (e) {
      refused(e);
    }
  };
  const pending = data.approvals.filter((p) => p.state === 'pending');
  main.replaceChildren(h('h2', {}, `Approvals queue (${pending.length} pending)`),
    pending.length ? h('table', { id: 'approvals' },
      h('thead', {}, h('tr', {}, ...['Request', 'Chain', 'Principal', 'Scopes', 'Authorization details', 'Expires', 'Decision'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...pending.map((p) => h('tr', { 'data-approval': p.id },
        h('td', {}, p.id, h('br'), p.reasons.join('; ')),
        h('td', {}, p.chain.map((a) => a.sub).reverse().join(' → ')), h('td', {}, p.principal),
        h('td', {}, p.scopes.join(' ')), h('td', {}, h('pre', {}, JSON.stringify(p.authorization_details, null, 1))),
        h('td', {}, fmtTime(p.expires_at)),
        h('td', {},
          h('button', { type: 'button', class: 'ok approve', 'aria-label': `approve request ${p.id}`, onclick: () => decide(p, 'approve') }, 'Approve…'), ' ',
          h('button', { type: 'button', class: 'danger deny', 'aria-label': `deny request ${p.id}`, onclick: () => decide(p, 'deny') }, 'Deny…'))))))
      : h('p', { id: 'approvals-empty' }, 'No pending request that you may decide.'));
}

// ---- alerts, audit, cluster ------------------------------------------------------------------------------------------

async function alerts() {
  let data;
  try {
    data = await api(`${API}/alerts?limit=200`);
  } catch (e) {
    refused(e);
    return;
  }
  main.replaceChildren(h('h2', {}, `Alerts (${data.alerts.length})`),
    data.alerts.length ? h('table', { id: 'alerts' },
      h('thead', {}, h('tr', {}, ...['Time', 'Agent', 'Detector', 'Severity', 'Response', 'Evidence'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...data.alerts.map((a) => h('tr', {},
        h('td', {}, fmtTime(a.time)), h('td', {}, h('a', { href: `#agent/${encodeURIComponent(a.agent)}` }, a.agent)),
        h('td', {}, a.detector), h('td', {}, a.severity), h('td', {}, a.response || '—'),
        h('td', {}, h('pre', {}, JSON.stringify(a.evidence, null, 1)))))))
      : h('p', {}, 'No alerts on this node.'));
}

async function auditView(_, params) {
  const fields = ['agent', 'principal', 'jti', 'lineage', 'type'];
  const inputs = Object.fromEntries(fields.map((f) => [f, h('input', { id: `audit-${f}`, name: f, value: params.get(f) || '' })]));
  const form = h('form', {
    class: 'filters', role: 'search',
    onsubmit: (ev) => {
      ev.preventDefault();
      const p = new URLSearchParams();
      for (const f of fields) if (inputs[f].value.trim()) p.set(f, inputs[f].value.trim());
      go(`#audit?${p}`);
    },
  }, ...fields.map((f) => h('label', { for: `audit-${f}` }, f, inputs[f])), h('button', { type: 'submit' }, 'Search'));
  const lineage = params.get('lineage');
  main.replaceChildren(h('h2', {}, lineage ? `Lineage of token ${lineage}` : 'Audit search'), form);
  const query = new URLSearchParams({ limit: 200 });
  for (const f of fields) if (params.get(f)) query.set(f, params.get(f));
  let data;
  try {
    data = await api(`${API}/audit?${query}`);
  } catch (e) {
    refused(e);
    return;
  }
  if (lineage) {
    // the token's family, root first: each issuance indented by the length of its ancestry
    const issued = data.events.filter((r) => r.type === 'token.issued');
    main.append(h('ol', { id: 'lineage', 'aria-label': 'token lineage, root first' },
      ...issued.sort((a, b) => (a.fields.anc || []).length - (b.fields.anc || []).length).map((r) => h('li', {
        class: `depth-${Math.min((r.fields.anc || []).length, 4)}${r.fields.jti === lineage ? ' selected' : ''}`, 'data-jti': r.fields.jti,
      }, `${r.fields.jti}: `, (r.fields.chain || []).map((a) => a.sub).reverse().join(' → '), ` (${r.fields.grant}) for ${r.fields.principal}`,
      r.fields.approval ? ` · approval ${r.fields.approval}` : ''))));
  }
  main.append(h('h3', {}, `${data.events.length} records${data.next_cursor ? ' (first page)' : ''}`), recordsTable(data.events, 'audit'));
}

async function cluster() {
  let c;
  try {
    c = await api(`${API}/cluster`);
  } catch (e) {
    refused(e);
    return;
  }
  main.replaceChildren(h('h2', {}, 'Cluster status'),
    h('dl', { class: 'facts', id: 'cluster' },
      h('dt', {}, 'This node'), h('dd', {}, c.node),
      h('dt', {}, 'Ready'), h('dd', {}, badge(c.ready ? 'live' : 'dead'), c.ready ? ' ready' : ` ${c.reason}`),
      h('dt', {}, 'Members'), h('dd', {}, c.clustered ? c.members.join(', ') : 'not clustered (one node)'),
      h('dt', {}, 'Identity providers'), h('dd', {}, c.identity_providers.length
        ? c.identity_providers.map((i) => `${i.issuer} (${i.available ? 'available' : 'unavailable'})`).join(', ') : 'none'),
      h('dt', {}, 'Partners'), h('dd', {}, c.partners.length
        ? c.partners.map((p) => `${p.issuer} (${p.available ? 'available' : 'unavailable'})`).join(', ') : 'none'),
      h('dt', {}, 'Partner status lists'), h('dd', {}, c.partner_status_lists.length
        ? h('ul', {}, ...c.partner_status_lists.map((l) => h('li', {}, `${l.uri}: fetched ${fmtTime(l.fetched_at)}, usable until `
          + `${fmtTime(l.usable_until)}${l.failing_since ? `, failing since ${fmtTime(l.failing_since)}` : ''}`)))
        : 'none followed'),
      h('dt', {}, 'Status lists'), h('dd', {}, `${c.status_lists.served.length} served, refreshed within ${c.status_lists.ttl_seconds} s`)));
}

// ---- start -----------------------------------------------------------------------------------------------------------

async function boot() {
  try {
    session = await api(`${API}/session`);
  } catch (e) {
    session = null;
    if (e.status !== 401) say(`The console is unavailable: ${e.message}`, true);
    return;
  }
  document.getElementById('nav').hidden = false;
  const logout = document.getElementById('logout');
  logout.hidden = false;
  document.getElementById('who').textContent = `${session.actor} (${session.roles.join(', ')})${session.break_glass ? ' — BREAK-GLASS' : ''}`;
  document.body.dataset.signedIn = session.actor;
  route();
}

document.getElementById('logout').addEventListener('click', async () => {
  try { await api(`${API}/logout`, { method: 'POST' }); } catch (e) { /* signed out anyway */ }
  session = null;
  delete document.body.dataset.signedIn;
  showSignIn();
});
window.addEventListener('hashchange', route);
boot();
