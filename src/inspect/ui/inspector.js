// factline inspect: the page. Plain DOM, no framework, no build step, nothing loaded from a network.
// Every stored string reaches the page through textContent (see h()), never as HTML: transcripts are untrusted.

const view = document.getElementById('view')
const crumbs = document.getElementById('crumbs')
let status = { allowWrites: false, namespace: 'default', mode: 'inline', queue: false }

/** An element with attributes and children; strings become text nodes, so data is never parsed as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value)
    else if (key === 'class') el.className = value
    else el.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const enc = encodeURIComponent
const when = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '—')
const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 10) : '—')
const badge = (text, kind = text) => h('span', { class: `badge ${kind}` }, text)
const userHref = (u, ns, tab = 'facts') => `#/user/${enc(u)}?ns=${enc(ns)}&tab=${tab}`
const factHref = (u, ns, id) => `#/user/${enc(u)}/fact/${enc(id)}?ns=${enc(ns)}`
const messageHref = (u, ns, sessionId, messageId) => `#/user/${enc(u)}/session/${enc(sessionId)}?ns=${enc(ns)}&m=${messageId}`

/** Calls the inspector's API (relative to the page, so a mounted inspector works under any path). */
async function api(path, { method = 'GET', params = {} } = {}) {
  const url = new URL(`api/${path}`, new URL('.', location.href))
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') url.searchParams.set(key, value)
  const response = await fetch(url, { method, headers: method === 'GET' ? {} : { 'x-factline-inspect': '1' }, credentials: 'same-origin' })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`)
  return body
}

function show(...nodes) {
  view.replaceChildren(...nodes.flat())
}

function setCrumbs(...parts) {
  crumbs.replaceChildren(...parts.flatMap((p, i) => [i ? ' / ' : '', typeof p === 'string' ? p : h('a', { href: p.href }, p.text)]))
}

function toast(text) {
  const el = document.getElementById('toast')
  el.textContent = text
  el.hidden = false
  setTimeout(() => (el.hidden = true), 3000)
}

/** An explicit confirmation: resolves true only when the named button is clicked. */
function confirmBox(title, lines, action) {
  return new Promise((resolve) => {
    const close = (answer) => {
      back.remove()
      resolve(answer)
    }
    const back = h(
      'div',
      { class: 'modal-back' },
      h(
        'div',
        { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'confirm' },
        h('h2', {}, title),
        lines.map((line) => h('p', {}, line)),
        h(
          'div',
          { class: 'actions' },
          h('button', { class: 'secondary', onclick: () => close(false) }, 'Cancel'),
          h('button', { class: 'danger', 'data-testid': 'confirm-yes', onclick: () => close(true) }, action),
        ),
      ),
    )
    document.body.append(back)
  })
}

function table(headers, rows, empty = 'Nothing here yet.') {
  if (rows.length === 0) return h('p', { class: 'muted' }, empty)
  return h('table', {}, h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))), h('tbody', {}, rows))
}

async function usersView(params) {
  setCrumbs('users')
  const search = h('input', { type: 'search', placeholder: 'Search user ids…', value: params.get('q') ?? '', 'aria-label': 'search users' })
  search.addEventListener('change', () => (location.hash = `#/?q=${enc(search.value)}`))
  const { users } = await api('users', { params: { q: params.get('q') ?? '' } })
  show(
    h('h1', {}, 'Users'),
    h('p', { class: 'muted' }, 'Everyone with sessions or facts, per namespace.'),
    h('div', { class: 'filters' }, search),
    table(
      ['user', 'namespace', 'sessions', 'active facts', 'last active'],
      users.map((u) =>
        h('tr', {}, h('td', {}, h('a', { href: userHref(u.userId, u.namespace) }, u.userId)), h('td', {}, u.namespace),
          h('td', {}, u.sessions), h('td', {}, u.facts), h('td', {}, when(u.lastActive))),
      ),
      'No users found.',
    ),
  )
}

const TABS = [['facts', 'Facts'], ['sessions', 'Sessions'], ['recall', 'Recall playground'], ['pipeline', 'Pipeline']]

async function userView(userId, params) {
  const ns = params.get('ns') ?? status.namespace
  const tab = params.get('tab') ?? 'facts'
  setCrumbs({ href: '#/', text: 'users' }, `${userId} · ${ns}`)
  const forget = h('button', { class: 'danger', disabled: !status.allowWrites, title: status.allowWrites ? '' : 'read-only: start with --allow-writes',
    onclick: () => forgetUser(userId) }, 'Forget user…')
  const body = h('div', {})
  show(
    h('div', { class: 'filters' }, h('h1', { class: 'grow' }, userId), forget),
    h('p', { class: 'muted' }, `namespace ${ns}`),
    h('nav', { class: 'tabs' }, TABS.map(([id, label]) => h('a', { href: userHref(userId, ns, id), class: id === tab ? 'active' : '' }, label))),
    body,
  )
  const render = { facts: factsTab, sessions: sessionsTab, recall: recallTab, pipeline: pipelineTab }[tab] ?? factsTab
  await render(body, userId, ns, params)
}

async function factsTab(body, userId, ns, params) {
  const filters = { status: params.get('status') ?? 'active', kind: params.get('kind') ?? '', q: params.get('q') ?? '' }
  const { facts, truncated } = await api(`users/${enc(userId)}/facts`, { params: { namespace: ns, ...filters } })
  const go = () => {
    const p = new URLSearchParams({ ns, tab: 'facts', status: statusSel.value, kind: kindInput.value, q: text.value })
    location.hash = `#/user/${enc(userId)}?${p}`
  }
  const statusSel = h('select', { 'aria-label': 'status', onchange: go },
    ['active', 'superseded', 'retracted', 'forgotten', 'all'].map((s) => h('option', { value: s, selected: s === filters.status }, s)))
  const kindInput = h('input', { placeholder: 'kind (e.g. profile)', value: filters.kind, 'aria-label': 'kind', onchange: go })
  const text = h('input', { type: 'search', placeholder: 'text…', value: filters.q, 'aria-label': 'text', onchange: go })
  body.replaceChildren(
    h('div', { class: 'filters' }, statusSel, kindInput, text),
    table(
      ['fact', 'kind', 'key', 'status', 'valid from', 'valid to'],
      facts.map((f) =>
        h('tr', { 'data-testid': 'fact-row' }, h('td', {}, h('a', { href: factHref(userId, ns, f.id) }, f.content || '(forgotten)')),
          h('td', {}, f.kind ?? ''), h('td', {}, f.key ?? ''), h('td', {}, badge(f.status)), h('td', {}, day(f.validFrom)), h('td', {}, day(f.validTo))),
      ),
      'No facts match.',
    ),
    truncated ? h('p', { class: 'muted' }, 'Showing the newest 1,000; narrow the filters.') : '',
  )
}

async function sessionsTab(body, userId, ns) {
  const { sessions } = await api(`users/${enc(userId)}/sessions`, { params: { namespace: ns } })
  body.replaceChildren(
    table(
      ['session', 'messages', 'extracted through', 'updated'],
      sessions.map((s) =>
        h('tr', {}, h('td', {}, h('a', { href: `#/user/${enc(userId)}/session/${enc(s.sessionId)}?ns=${enc(ns)}` }, s.sessionId)),
          h('td', {}, s.items), h('td', {}, `#${s.extractedThrough} of #${s.newestMessageId}`), h('td', {}, when(s.updatedAt))),
      ),
      'No sessions in this namespace.',
    ),
  )
}

function messageNode(userId, ns, m, highlighted) {
  const tool = m.role === 'function_call' || m.role === 'function_call_result' || !['user', 'assistant', 'system', 'developer'].includes(m.role)
  const head = h('div', { class: 'msg-head' }, `#${m.id} · ${m.role} · ${when(m.createdAt)}`)
  const text = tool
    ? h('details', {}, h('summary', {}, m.role === 'function_call' ? `tool call: ${m.text.split('(')[0]}` : `${m.role} (folded)`), h('div', { class: 'text' }, m.text))
    : h('div', { class: 'text' }, m.text)
  const cites = m.citedBy.length
    ? h('div', { class: 'cites' }, 'cited by: ', m.citedBy.map((f) => h('a', { href: factHref(userId, ns, f.factId), 'data-testid': 'cited-by' }, f.content || '(forgotten fact)', ' ', badge(f.status))))
    : ''
  return h('article', { class: `msg role-${m.role}${tool ? ' tool' : ''}${highlighted ? ' highlight' : ''}`, id: `m-${m.id}`, 'data-testid': 'message' }, head, text, cites)
}

async function sessionView(userId, sessionId, params) {
  const ns = params.get('ns') ?? status.namespace
  const target = params.get('m')
  setCrumbs({ href: '#/', text: 'users' }, { href: userHref(userId, ns, 'sessions'), text: `${userId} · ${ns}` }, `session ${sessionId}`)
  const { messages, truncated } = await api(`users/${enc(userId)}/sessions/${enc(sessionId)}`, { params: { namespace: ns } })
  show(
    h('h1', {}, `Session ${sessionId}`),
    h('p', { class: 'muted' }, `${messages.length} messages, oldest first${truncated ? ' (the first 2,000)' : ''}. Tool calls and results are folded.`),
    messages.map((m) => messageNode(userId, ns, m, String(m.id) === target)),
  )
  if (target) document.getElementById(`m-${target}`)?.scrollIntoView({ block: 'center' })
}

function sourceLink(userId, ns, s) {
  return h('a', { href: messageHref(userId, ns, s.sessionId, s.messageId), 'data-testid': 'source-link' }, `message #${s.messageId} in session ${s.sessionId}`)
}

async function factView(userId, factId, params) {
  const ns = params.get('ns') ?? status.namespace
  setCrumbs({ href: '#/', text: 'users' }, { href: userHref(userId, ns), text: `${userId} · ${ns}` }, 'fact')
  const why = await api(`users/${enc(userId)}/facts/${enc(factId)}`, { params: { namespace: ns } })
  const { fact } = why
  const earlier = why.timeline.slice(0, why.timeline.findIndex((entry) => entry.id === fact.id)).filter((entry) => entry.status !== 'forgotten')
  const forget = h('button', { class: 'danger', 'data-testid': 'forget-fact', disabled: !status.allowWrites || fact.status === 'forgotten',
    title: status.allowWrites ? '' : 'read-only: start with --allow-writes', onclick: () => forgetFact(userId, ns, fact, earlier) }, 'Forget this fact…')
  const timeline = why.timeline.flatMap((entry, i) => {
    const belief = h('li', { class: `belief${entry.id === fact.id ? ' current' : ''}`, 'data-testid': 'timeline-belief' },
      h('div', { class: 'belief-content' }, entry.id === fact.id ? entry.content || '(forgotten)' : h('a', { href: factHref(userId, ns, entry.id) }, entry.content || '(forgotten)')),
      h('div', { class: 'muted' }, badge(entry.status), ` valid from ${when(entry.validFrom)}`, entry.validTo ? ` until ${when(entry.validTo)}` : ' (still holds)'),
      entry.cause && i === 0 ? h('div', { class: 'muted' }, 'from ', sourceLink(userId, ns, entry.cause), `: "${entry.cause.text}"`) : '')
    if (i === 0) return [belief]
    const change = h('li', { class: 'change' }, `→ replaced ${when(why.timeline[i - 1].validTo)}`,
      entry.cause ? [' because of ', sourceLink(userId, ns, entry.cause), ` (${entry.cause.role}): "${entry.cause.text}"`] : '')
    return [change, belief]
  })
  show(
    h('div', { class: 'filters' }, h('h1', { class: 'grow', 'data-testid': 'fact-content' }, fact.content || '(forgotten)'), forget),
    kv(fact),
    h('h2', {}, 'Where it came from'),
    why.sources.length
      ? h('ul', {}, why.sources.map((s) => h('li', {}, sourceLink(userId, ns, s), ` (${s.role}, ${when(s.createdAt)}): `, h('span', { class: 'text' }, `"${s.text}"`))))
      : h('p', { class: 'muted' }, 'No source message left (deleted or forgotten).'),
    h('h2', {}, 'Supersession timeline'),
    h('ol', { class: 'timeline', 'data-testid': 'timeline' }, timeline),
    h('h2', {}, 'History'),
    table(['when', 'event', 'by', 'reason'],
      why.events.map((e) => h('tr', {}, h('td', {}, when(e.createdAt)), h('td', {}, e.type), h('td', {}, [e.extractor, e.model].filter(Boolean).join(' · ') || 'api'), h('td', {}, e.reason ?? '')))),
  )
}

function kv(fact) {
  const pairs = [['status', badge(fact.status)], ['kind', fact.kind ?? '—'], ['key', fact.key ?? '—'], ['confidence', String(fact.confidence)],
    ['valid', `${when(fact.validFrom)} → ${fact.validTo ? when(fact.validTo) : 'now'}`], ['id', fact.id]]
  return h('dl', { class: 'kv card' }, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))
}

async function forgetFact(userId, ns, fact, earlier) {
  const ok = await confirmBox('Forget this fact?', [
    `"${fact.content}"`,
    earlier.length ? `Also its earlier versions: ${earlier.map((e) => `"${e.content}"`).join(', ')}.` : 'It replaced no earlier version.',
    'Their content is erased, also from their history; content-free tombstones stay. The messages they came from stay (forget the user to delete those). This cannot be undone.',
  ], 'Forget')
  if (!ok) return
  await api(`users/${enc(userId)}/facts/${enc(fact.id)}`, { method: 'DELETE', params: { namespace: ns } })
  toast('Fact forgotten')
  location.hash = userHref(userId, ns, 'facts')
}

async function forgetUser(userId) {
  const p = await api(`users/${enc(userId)}/forget-preview`)
  const ok = await confirmBox(`Forget ${userId}?`, [
    `This deletes, in every namespace: ${p.sessions} sessions with ${p.messages} messages, ${p.facts} facts and ${p.events} fact events.`,
    'This cannot be undone.',
  ], 'Forget everything')
  if (!ok) return
  await api(`users/${enc(userId)}`, { method: 'DELETE' })
  toast(`Forgot ${userId}`)
  location.hash = '#/'
}

async function recallTab(body, userId, ns, params) {
  const input = h('textarea', { 'aria-label': 'input', 'data-testid': 'recall-input', placeholder: 'Type a message as the user would…' }, params.get('input') ?? '')
  const out = h('div', {})
  const run = async () => {
    out.replaceChildren(h('p', { class: 'muted' }, 'Recalling…'))
    const r = await api(`users/${enc(userId)}/recall`, { params: { namespace: ns, input: input.value } })
    out.replaceChildren(
      h('h2', {}, 'Injected block'),
      h('p', { class: 'muted' }, `Exactly what memory.context() adds to the instructions (searches ${r.settings.k} hits, at most ${r.settings.maxTokens} tokens).`),
      r.block ? h('pre', { 'data-testid': 'injected-block' }, r.block) : h('p', { class: 'muted', 'data-testid': 'injected-block' }, '(nothing: the instructions stay as they are)'),
      h('h2', {}, 'Every candidate and its score'),
      table(['#', 'type', 'text', 'score', 'vector sim.', 'text match', 'age (days)', 'in block?'],
        r.items.map((it) => h('tr', { 'data-testid': 'recall-item' }, h('td', {}, it.rank), h('td', {}, it.type),
          h('td', {}, it.type === 'fact' ? h('a', { href: factHref(userId, ns, it.id) }, it.text) : it.sessionId ? [h('a', { href: messageHref(userId, ns, it.sessionId, it.messageId) }, '↗'), ' ', it.text] : it.text),
          h('td', {}, it.score.toFixed(3)), h('td', {}, it.similarity === null ? '—' : it.similarity.toFixed(3)),
          h('td', {}, it.textMatch === null ? '—' : it.textMatch ? 'yes' : 'no'), h('td', {}, it.ageDays.toFixed(1)),
          h('td', {}, it.inBlock ? badge('injected', 'in') : [badge('left out', 'out'), ' ', h('span', { class: 'muted' }, it.leftOut)]))),
        'Nothing recalled for this input.'),
    )
  }
  const button = h('button', { 'data-testid': 'recall-run', onclick: () => run().catch((e) => out.replaceChildren(h('p', { class: 'error' }, e.message))) }, 'Recall')
  body.replaceChildren(h('div', { class: 'card' }, input, h('div', { class: 'filters' }, button)), out)
  if (params.get('input')) await run()
}

async function pipelineTab(body, userId, ns) {
  const p = await api(`users/${enc(userId)}/pipeline`, { params: { namespace: ns } })
  const reenqueue = async (sessionId) => {
    const r = await api(`users/${enc(userId)}/pipeline/sessions/${enc(sessionId)}/reenqueue`, { method: 'POST', params: { namespace: ns } })
    toast(r.enqueued ? `Extraction scheduled through #${r.throughMessageId}` : r.reason)
    await pipelineTab(body, userId, ns)
  }
  body.replaceChildren(
    h('p', {}, `Extraction runs ${p.mode === 'queue' ? 'in BullMQ workers (queue mode)' : 'in the app process (inline mode)'}.`),
    p.counts ? h('dl', { class: 'kv card' }, Object.entries(p.counts).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])) : '',
    h('h2', {}, 'Sessions: extraction watermark vs newest message'),
    table(['session', 'extracted through', 'newest message', 'state', ''],
      p.sessions.map((s) => h('tr', {}, h('td', {}, s.sessionId), h('td', {}, `#${s.extractedThrough}`), h('td', {}, `#${s.newestMessageId}`),
        h('td', {}, s.lagging ? badge('lagging', 'superseded') : badge('caught up', 'active')),
        h('td', {}, h('button', { class: 'secondary', disabled: !status.allowWrites, onclick: () => reenqueue(s.sessionId) }, 'Re-enqueue'))))),
    h('h2', {}, 'Failed jobs'),
    p.mode === 'queue'
      ? table(['job', 'session', 'through', 'reason', 'attempts', 'failed at', ''],
          p.failed.map((f) => h('tr', { 'data-testid': 'failed-job' }, h('td', {}, f.jobId), h('td', {}, f.sessionId), h('td', {}, `#${f.throughMessageId}`),
            h('td', {}, f.reason), h('td', {}, f.attempts), h('td', {}, when(f.failedAt)),
            h('td', {}, h('button', { class: 'secondary', disabled: !status.allowWrites, onclick: () => reenqueue(f.sessionId) }, 'Re-enqueue')))),
          'No failed jobs for this user.')
      : h('p', { class: 'muted' }, 'Inline mode keeps no jobs: an extraction error surfaces in memory.flush().'),
  )
}

async function route() {
  const [path, query = ''] = location.hash.slice(1).split('?')
  const params = new URLSearchParams(query)
  const parts = (path || '/').split('/').filter(Boolean).map(decodeURIComponent)
  try {
    if (parts[0] === 'user' && parts[2] === 'session') await sessionView(parts[1], parts[3], params)
    else if (parts[0] === 'user' && parts[2] === 'fact') await factView(parts[1], parts[3], params)
    else if (parts[0] === 'user') await userView(parts[1], params)
    else await usersView(params)
  } catch (error) {
    show(h('p', { class: 'error', 'data-testid': 'error' }, error.message))
  }
}

status = await api('status').catch(() => status)
document.getElementById('mode').textContent = `${status.mode} mode · ${status.allowWrites ? 'writes allowed' : 'read-only'}`
window.addEventListener('hashchange', route)
await route()
