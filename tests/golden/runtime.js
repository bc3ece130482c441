// hitl-gen 0.1.0: the code every hitl-gen action in this folder shares; do not
// edit (`hitl-gen build` writes it). An action reads this file through Botpress's file
// service (the same on disk and database storage) and runs it as the body of a function
// of its own sandbox values: bp, event, user, session, temp, args, process, require and
// its CONFIG. Its name carries a hash of its content, so actions of another hitl-gen
// version never load it by mistake.
/**
 * The code the hitl-gen actions share. Not an action: flows call the actions beside it.
 *
 * @title hitl-gen runtime 0.1.0
 * @category Human handoff (hitl-gen)
 * @author hitl-gen
 * @hidden true
 */
if (typeof CONFIG === 'undefined') return {}  // run by mistake as an action of its own: nothing to do

const axios = require('axios')

// What hitl-gen knows of each HITL module of Botpress (botpress/v12.json): where agents
// answer, the routes and the {{name}} syntax. The action's CONFIG says which module.
const KNOWN = {
  "hitl": {"placeholder": "\\{\\{\\s*([^{}]*?)\\s*\\}\\}", "agentScreen": "/studio/{bot}/modules/hitl", "routes": {"userAction": "/mod/hitl/channel/{channel}/user/{user}/{action}", "handoffs": "/mod/hitlnext/handoffs", "agents": "/mod/hitlnext/agents"}},
  "hitlnext": {"placeholder": "\\{\\{\\s*([^{}]*?)\\s*\\}\\}", "agentScreen": "/studio/{bot}/modules/hitlnext", "routes": {"userAction": "/mod/hitl/channel/{channel}/user/{user}/{action}", "handoffs": "/mod/hitlnext/handoffs", "agents": "/mod/hitlnext/agents"}}
}
CONFIG = Object.assign({}, KNOWN[CONFIG.module], CONFIG)

const log = bp.logger.forBot(event.botId)

// The user's language if the bot speaks it, else the bot's first language.
function userLanguage() {
  const candidates = [user.language, event.nlu && event.nlu.language]
  return candidates.find(lang => CONFIG.languages.includes(lang)) || CONFIG.languages[0]
}

function pickText(texts) {
  return texts[userLanguage()] || texts[CONFIG.languages[0]]
}

function lookup(source, path) {
  return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), source)
}

// One pass over {{name}} placeholders: a value that itself contains {{...}} stays as typed.
function fill(template, vars) {
  return template.replace(new RegExp(CONFIG.placeholder, 'g'), (match, name) => {
    const value = name.startsWith('user.') ? lookup(user, name.slice(5)) : vars[name]
    return value == null ? '' : String(value)
  })
}

function displayName() {
  const parts = [user.first_name, user.last_name].filter(Boolean)
  return user.full_name || user.fullName || parts.join(' ') || event.target
}

function messageVars() {
  const externalUrl = String(process.EXTERNAL_URL || '').replace(/\/+$/, '')
  return {
    full_name: displayName(),
    channel: event.channel,
    user_id: event.target,
    thread_id: event.threadId || '',
    bot_id: event.botId,
    hitl_url: externalUrl + CONFIG.agentScreen.replace('{bot}', encodeURIComponent(event.botId)),
    last_message: event.preview || (event.payload && event.payload.text) || '',
    reason: (args && args.reason) || '',
    hours: hoursState()
  }
}

// What the handoff's hours check decided (lib/hours.js keeps it in temp): open when the
// handoff has no hours, or has not been checked.
function hoursState() {
  return CONFIG.hoursKey && temp[CONFIG.hoursKey] === 'closed' ? 'closed' : 'open'
}

// Sent as a plain text payload, not through a content element, so the text reaches
// the user exactly as written (content elements would run Mustache over it).
async function tellUser(texts, vars) {
  const text = fill(pickText(texts), vars)
  await bp.events.replyToEvent(event, [{ type: 'text', text, markdown: false }])
}

// The bot's own API with Botpress's short-lived server token, so the bot's files hold no credentials.
// A redirect is an answer from something else (a proxy, a login page): never followed.
async function botApi() {
  const config = await bp.http.getAxiosConfigForBot(event.botId, { localUrl: true })
  return Object.assign({}, config, { timeout: CONFIG.timeoutMs, maxRedirects: 0 })
}

// Only a 2xx whose body is what the module sends counts: anything else (an HTML page a
// proxy answered 200 with, say) is a failure saying what came back.
function expectAnswer(response, fits, expected, what) {
  if (!fits(response.data)) {
    const got = typeof response.data === 'string' ? response.data : JSON.stringify(response.data)
    throw new Error(`${what} got ${response.status} with ${String(got).slice(0, 80)} where the ${CONFIG.module} module answers ${expected}; check that the bot's API is Botpress itself`)
  }
  return response.data
}

function requestUrl(err) {
  const config = err.config || {}
  const url = config.url || ''
  return /^https?:/.test(url) ? url : (config.baseURL || '') + url
}

// Turn an axios error into one sentence naming the cause and the fix.
function explain(err, what) {
  const status = err.response && err.response.status
  const url = requestUrl(err)
  if (status === 401 || status === 403) {
    return `${what} was refused (${status}) by ${url}: the token was not accepted; check the bot id and that the action runs inside Botpress`
  }
  if (status === 404) {
    return `${what} got 404 from ${url}: the route does not exist; enable the ${CONFIG.module} module for this bot in data/global/botpress.config.json and restart Botpress`
  }
  if (status >= 300 && status < 400) {
    return `${what} was redirected (${status}) by ${url} to ${err.response.headers.location || 'elsewhere'}: the bot's API must be Botpress itself, not a proxy or a login page`
  }
  if (status >= 500) {
    return `${what} failed (${status}) at ${url}: the user may have no HITL session yet (one is created at the user's first message), or the module failed; see the server log`
  }
  if (status) {
    return `${what} got an unexpected ${status} from ${url}`
  }
  if (timedOut(err)) {
    const undone = err.undone === undefined ? '' : err.undone ? ' (undone, so the conversation is not held)' : ' (and undoing it got no answer either: the conversation may be held; check with `hitl-gen status`)'
    return `${what} got no answer within ${CONFIG.timeoutMs} ms from ${url}${undone}; check that the server is up, or raise target.http_timeout_ms`
  }
  if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' || err.code === 'ENOTFOUND') {
    return `${what} could not connect to ${url} (${err.code}); check the address and that the server is running`
  }
  return `${what} failed: ${err.message || err}`
}

// Why a step failed, in one sentence: explain() for a request that failed; the error's own
// message otherwise (hitl-gen's checks, e.g. expectAnswer, already say what and why).
function failedStep(err, what) {
  return err && err.config ? explain(err, what) : err.message
}

function timedOut(err) {
  return err.code === 'ECONNABORTED' || /timeout/i.test(err.message || '')
}

function envValue(name) {
  const value = process.env[name]
  if (!value) {
    throw new Error(`environment variable ${name} is not set; set it where Botpress runs (only EXPOSED_* variables reach actions) and restart Botpress`)
  }
  return value
}

function fail(message) {
  temp.hitl_failed = true
  temp.hitl_error = message
  log.warn(`hitl-gen: ${message}`)
}

// Pause or unpause through the channel/user route. The /sessions/<id> route wants
// HITL's own session number, which is NOT event.threadId: using the thread id there
// pauses somebody else's conversation.
async function setPaused(action, scope) {
  const params = scope === 'conversation' && event.threadId ? { threadId: String(event.threadId) } : {}
  const config = Object.assign(await botApi(), { params })
  try {
    const response = await axios.post(userActionPath(action), {}, config)
    expectAnswer(response, data => data === 'OK', 'OK', `${action === 'pause' ? 'pausing' : 'unpausing'} the conversation`)
  } catch (err) {
    if (action === 'pause' && timedOut(err)) err.undone = await undoLatePause(config)
    throw err
  }
}

function userActionPath(action) {
  return CONFIG.routes.userAction
    .replace('{channel}', encodeURIComponent(event.channel))
    .replace('{user}', encodeURIComponent(event.target))
    .replace('{action}', action)
}

// A pause that got no answer in time may still land: the user would be told the handover
// failed while HITL holds every message they send. So it is undone at once (the server
// handles the unpause after the pause it is still busy with), and the user is told
// what HITL then holds. False when even the undo got no answer.
async function undoLatePause(config) {
  try {
    // Twice the time: the server is slow right now, and this answer decides what the user is told.
    await axios.post(userActionPath('unpause'), {}, Object.assign({}, config, { timeout: 2 * CONFIG.timeoutMs }))
    return true
  } catch (err) {
    return false
  }
}

async function agentOnline() {
  const response = await axios.get(CONFIG.routes.agents, await botApi())
  const agents = expectAnswer(response, Array.isArray, 'a list of agents', 'listing the agents')
  return agents.some(agent => agent && agent.online)
}

// HITL Next keys handoffs by thread; a second call while one is active is a no-op.
async function createHandoff() {
  if (event.channel === 'api') {
    throw new Error('HITL Next does not work with the Converse API (channel "api"); hand over from channel-web')
  }
  if (!event.threadId) {
    throw new Error(`HITL Next needs a conversation thread, and channel "${event.channel}" has none; use channel-web or the hitl module`)
  }
  const body = { userId: event.target, userThreadId: String(event.threadId), userChannel: event.channel }
  if (CONFIG.timeout) body[CONFIG.timeout.field] = CONFIG.timeout.seconds  // hitlnext 12.28+: expires unassigned
  const response = await axios.post(CONFIG.routes.handoffs, body, await botApi())
  // 201 with the new handoff, or 200 "OK" when this conversation already has an active one.
  const fits = data => (response.status === 201 ? Boolean(data && data.id) : data === 'OK')
  expectAnswer(response, fits, 'the handoff it created (or OK for one already active)', 'creating the handoff')
}

// hitl shows user.full_name, hitlnext shows user.fullName: set both. Assigning to
// `user` keeps every other attribute (bp.users.setAttributes would replace them all).
function setFullName() {
  const rule = CONFIG.fullName
  const name = rule.template !== null
    ? fill(rule.template, {}).replace(/\s+/g, ' ').trim()
    : rule.attributes.map(path => lookup(user, path)).filter(part => part != null && part !== '').join(' ')
  if (!name) {
    log.warn(`hitl-gen: no full name for user ${event.target}: the attributes ${rule.attributes.join(', ') || 'in the template'} are empty`)
    return ''
  }
  user.full_name = name
  user.fullName = name
  return name
}

// Botpress saves `user` when the turn ends, after the agent screens have read the name:
// HITL Next creates its handoff in this turn, and hitl froze the name into its session
// row (hitl_sessions.full_name, "# <random id>" when there was none) at the user's
// first message. So the name is stored at once, and hitl's row and open screens are told
// (seen on a real 12.22.1: the screens then show it without a reload).
async function showNameToAgents(name) {
  await bp.users.updateAttributes(event.channel, event.target, { full_name: name, fullName: name })
  if (CONFIG.module !== 'hitl') return
  const mine = { botId: event.botId, channel: event.channel, userId: event.target }
  const sessions = await bp.database('hitl_sessions').where(mine).select('id', 'user_image_url')
  if (!sessions.length) return
  await bp.database('hitl_sessions').where(mine).update({ full_name: name })
  for (const session of sessions) {
    const user_ = { id: event.target, fullName: name, avatarUrl: session.user_image_url, attributes: Object.assign({}, user) }
    bp.realtime.sendPayload(bp.RealTimePayload.forAdmins('hitl.session.changed', { id: session.id, user: user_ }))
  }
}

// The name, set and shown to agents; a failure to show it is logged, never thrown.
async function nameTheUser() {
  const name = setFullName()
  if (name) {
    await showNameToAgents(name).catch(err => log.warn(`hitl-gen: the agent screens may not show ${event.target}'s name yet: ${err.message}`))
  }
  return name
}

// Business hours (the spec's `hours`). The time of day in their zone comes from the
// UTC offsets table made at build time (hitl_gen/hours.py), not from Intl: the Node 12
// that Botpress 12 runs has tz data from 2021 (it refuses Europe/Kyiv and still puts
// Mexico City on summer time).
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

function utcOffsetMinutes(now) {
  const table = CONFIG.hours.utcOffsets.map(entry => entry.split(' '))
  const current = table.filter(([from]) => Date.parse(from) <= now.getTime()).pop() || table[0]
  const [, sign, hh, mm] = /^([+-])(\d\d):(\d\d)$/.exec(current[1])
  return (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm))
}

// The wall clock in the hours' zone: its date (YYYY-MM-DD), weekday and minute of the day.
function localClock(now) {
  const local = new Date(now.getTime() + utcOffsetMinutes(now) * 60000)
  return { date: local.toISOString().slice(0, 10), day: WEEKDAYS[local.getUTCDay()], minute: local.getUTCHours() * 60 + local.getUTCMinutes() }
}

function clockMinutes(text) {
  const [hh, mm] = text.split(':')
  return Number(hh) * 60 + Number(mm)
}

// 'open' or 'closed' at `now`: a closed date closes the whole day; ranges include their
// start and exclude their end.
function hoursAt(now) {
  const rule = CONFIG.hours
  const clock = localClock(now)
  if (rule.closed.includes(clock.date) || rule.closed.includes(clock.date.slice(5))) return 'closed'
  const ranges = (rule.open[clock.day] || []).map(range => range.split('-').map(clockMinutes))
  return ranges.some(([from, to]) => clock.minute >= from && clock.minute < to) ? 'open' : 'closed'
}

// Decided once when the handoff starts and kept in temp, so the flow's decision, the
// alerts and the messages all say the same, even at the minute the desk closes.
function decideHours() {
  const state = hoursAt(new Date())
  temp[CONFIG.hoursKey] = state
  return state
}

// Typed triggers, shared by the trigger hook and should_start. Keywords match whole
// words, ignoring case and accents ("Conseillère" is "conseillere"); a keyword of
// several words matches as a phrase. Keywords are per language, "*" for every one.
function plainWords(text) {
  return String(text || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .split(/[^\p{L}\p{N}_-]+/u).filter(Boolean)
}

function saysKeyword(keywords, words, language) {
  const said = ` ${words.join(' ')} `
  const candidates = (keywords['*'] || []).concat(keywords[language] || [])
  return candidates.some(keyword => said.includes(` ${plainWords(keyword).join(' ')} `))
}

function messageOf(event, language) {
  const text = event.preview || (event.payload && event.payload.text) || ''
  const intent = (event.nlu && event.nlu.intent && event.nlu.intent.name) || 'none'
  return { text, words: plainWords(text), intent, language }
}

// Why this message starts the handoff ('' when it does not). Counts consecutive
// misunderstood messages (intent `none`) in the handoff's own session counter, and
// starts a new count when the handoff starts, so the messages before it cannot start
// it again after the hand-back (seen on a real 12.22.1, where every message is `none`
// without an NLU server).
function triggerReason(trigger, message, session) {
  const counter = trigger.keys.counter
  session[counter] = message.intent === 'none' && message.text ? (session[counter] || 0) + 1 : 0
  let reason = ''
  if (saysKeyword(trigger.keywords, message.words, message.language)) {
    reason = 'keyword'
  } else if (trigger.intent && message.intent === trigger.intent) {
    reason = 'intent'
  } else if (trigger.afterFailures && session[counter] >= trigger.afterFailures) {
    reason = 'misunderstood'
  }
  if (reason) session[counter] = 0
  return reason
}

// Slack and Teams incoming webhooks both accept {"text": ...}; `json` adds fields.
function webhookBody(alert, vars) {
  const text = fill(pickText(alert.text), vars)
  if (alert.format !== 'json') return { text }
  return { text, user: { id: vars.user_id, name: vars.full_name }, channel: vars.channel, threadId: vars.thread_id, botId: vars.bot_id, link: vars.hitl_url }
}

async function postWebhook(alert, vars) {
  const body = webhookBody(alert, vars)
  await axios.post(envValue(alert.urlEnv), body, { timeout: CONFIG.timeoutMs, headers: { 'Content-Type': 'application/json' } })
}

function mapStrings(value, fn) {
  if (typeof value === 'string') return fn(value)
  if (Array.isArray(value)) return value.map(item => mapStrings(item, fn))
  if (value && typeof value === 'object') {
    const out = {}
    Object.keys(value).forEach(key => { out[key] = mapStrings(value[key], fn) })
    return out
  }
  return value
}

async function sendEmail(alert, vars) {
  const mail = {
    from: alert.from,
    to: alert.to.join(', '),
    cc: alert.cc.join(', ') || undefined,
    subject: fill(pickText(alert.subject), vars),
    text: fill(pickText(alert.body), vars)
  }
  if (alert.via === 'http_api') {
    const api = alert.api
    const headers = { 'Content-Type': 'application/json' }
    Object.keys(api.headers).forEach(name => {
      const header = api.headers[name]
      headers[name] = header.env ? header.prefix + envValue(header.env) : header.literal
    })
    const data = mapStrings(api.body, text => fill(text, Object.assign({}, vars, mail)))
    const url = api.urlEnv ? envValue(api.urlEnv) : api.url
    await axios({ method: api.method, url, headers, data, timeout: CONFIG.timeoutMs })
    return
  }
  let nodemailer
  try {
    nodemailer = require('nodemailer')
  } catch (err) {
    throw new Error('nodemailer cannot be loaded; install it beside the actions as INSTALL.md explains')
  }
  const transport = nodemailer.createTransport({
    url: envValue(alert.smtpUrlEnv),
    connectionTimeout: CONFIG.timeoutMs,
    greetingTimeout: CONFIG.timeoutMs,
    socketTimeout: CONFIG.timeoutMs
  })
  try {
    await transport.sendMail(mail)
  } finally {
    transport.close()
  }
}

async function notifyAdmins(alert, vars) {
  if (!bp.notifications) {
    throw new Error(`bp.notifications does not exist in this Botpress (removed in ${alert.removedIn}); alert agents by email or webhook`)
  }
  const message = fill(pickText(alert.message), vars)
  await bp.notifications.create(event.botId, { message, level: alert.level, url: CONFIG.agentScreen.replace('{bot}', event.botId) })
}

// A Teams Workflows webhook takes a message whose attachment is an Adaptive Card. The
// button needs an absolute URL, so it is left out when Botpress has no EXTERNAL_URL.
// Card text is Markdown: a link typed by the user ("[x](url)") is broken up so agents
// see it as typed, not as a link.
function teamsCard(alert, allVars) {
  const vars = {}
  Object.keys(allVars).forEach(name => { vars[name] = String(allVars[name] == null ? '' : allVars[name]).replace(/\]\(/g, ']\u200b(') })
  const facts = [['User', vars.full_name], ['Channel', vars.channel], ['Reason', vars.reason]]
    .filter(fact => fact[1])
    .map(fact => ({ title: fact[0], value: String(fact[1]) }))
  const body = [
    { type: 'TextBlock', text: fill(pickText(alert.title), vars), weight: 'Bolder', size: 'Medium', wrap: true },
    { type: 'TextBlock', text: fill(pickText(alert.text), vars), wrap: true },
    { type: 'FactSet', facts }
  ]
  const card = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', body }
  if (/^https?:\/\//.test(vars.hitl_url)) {
    card.actions = [{ type: 'Action.OpenUrl', title: fill(pickText(alert.button), vars), url: allVars.hitl_url }]
  }
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] }
}

async function postTeamsCard(alert, vars) {
  const headers = { 'Content-Type': 'application/json' }
  await axios.post(envValue(alert.urlEnv), teamsCard(alert, vars), { timeout: CONFIG.timeoutMs, headers })
}

const ALERT_SENDERS = { webhook: postWebhook, email: sendEmail, admin_notification: notifyAdmins, teams: postTeamsCard }

// Every alert runs side by side and on its own: one failing does not stop the others.
// `kinds` (e.g. "email,admin_notification") limits them, for flows that send webhooks by skill.
async function alertAgents(vars, kinds) {
  const failures = []
  const wanted = kinds ? String(kinds).split(',').map(kind => kind.trim()) : null
  const alerts = CONFIG.alerts.filter(alert => !wanted || wanted.includes(alert.kind))
  await Promise.all(alerts.map(alert =>
    ALERT_SENDERS[alert.kind](alert, vars).catch(err => {
      const why = err && err.config ? explain(err, `the ${alert.kind} alert`) : `the ${alert.kind} alert failed: ${err.message || err}`
      failures.push(why)
      log.warn(`hitl-gen: ${why}`)
    })
  ))
  return failures
}

// The Call-API skill cannot get a server token itself (FACTS §8). With {"token": true}
// this puts the bot API's base URL and a short-lived bearer header into temp.hitl_api
// for the ONE skill that follows; the node after that skill deletes it again, so no
// template rendered later can read it. Without it: the message values the content
// elements show, and the webhook requests the skills send.
async function prepareCallApi() {
  const vars = messageVars()
  temp.hitl_vars = mustacheVars(vars)
  if (CONFIG.studio) temp.hitl_vars[CONFIG.studio.vars] = studioVars(vars)
  if (args && args.token) {
    const api = await bp.http.getAxiosConfigForBot(event.botId, { localUrl: true })
    temp.hitl_api = { baseURL: api.baseURL, authorization: api.headers.Authorization }
    return
  }
  const webhooks = {}
  CONFIG.webhooks.forEach(alert => {
    let url = ''
    try {
      url = envValue(alert.urlEnv)
    } catch (err) {
      log.warn(`hitl-gen: ${err.message}`)  // the skill then fails and the flow moves on
    }
    // Mustache renders the skill's body again while it finds {{ in it: break every {{
    // inside the JSON strings so text typed by users is sent as typed.
    webhooks[alert.key] = { url, body: JSON.stringify(webhookBody(alert, vars)).replace(/\{\{/g, '{\\u007b') }
  })
  temp.hitl_webhooks = webhooks
}

// Content elements are rendered by Mustache again while `{{` remains (FACTS §12), so a
// value that a user typed (a message, an attribute) must never bring one: every brace
// is fenced with zero-width spaces. send_email also deletes every "words: " from its
// text; a no-break space after the colon looks the same and survives.
function inert(value) {
  return String(value == null ? '' : value).replace(/\{/g, '\u200b{\u200b').replace(/: /g, ':\u00a0')
}

function mustacheVars(vars) {
  const safe = {}
  Object.keys(vars).forEach(name => { safe[name] = inert(vars[name]) })
  safe.user = {}
  CONFIG.userAttributes.forEach(path => {
    const keys = path.split('.')
    const parent = keys.slice(0, -1).reduce((node, key) => (node[key] = node[key] || {}), safe.user)
    parent[keys[keys.length - 1]] = inert(lookup(user, path))
  })
  return safe
}

// Texts a builder typed in the "Talk to an agent" skill's form (hitl_gen/studio_texts.py):
// only the texts this handoff lets the Studio override, in the bot's languages, with the
// spec's placeholders. The skill passes them as a nested argument, which Botpress does
// not render; they are kept as typed and filled here in JavaScript, never by Mustache.
function checkedStudioTexts(given) {
  const rule = CONFIG.studio
  const userAttribute = new RegExp('^(?:' + rule.userAttribute + ')$')
  const kept = {}
  const problems = []
  const isObject = value => value !== null && typeof value === 'object' && !Array.isArray(value)
  Object.keys(isObject(given) ? given : {}).forEach(key => {
    if (!rule.keys.includes(key) || !isObject(given[key])) {
      problems.push(`"${key}" is not a text the spec lets the Studio change (${rule.keys.join(', ')})`)
      return
    }
    Object.keys(given[key]).forEach(lang => {
      const text = given[key][lang]
      const where = `"${key}" in "${lang}"`
      if (text === '') return  // left empty in the form: the spec's text
      if (!CONFIG.languages.includes(lang)) {
        problems.push(`${where}: the bot speaks ${CONFIG.languages.join(', ')}`)
      } else if (typeof text !== 'string' || text.length > rule.maxLength) {
        problems.push(`${where}: not a text of at most ${rule.maxLength} characters`)
      } else {
        const unknown = Array.from(text.matchAll(new RegExp(CONFIG.placeholder, 'g')), match => match[1])
          .filter(name => !rule.placeholders.includes(name) && !userAttribute.test(name))
        if (unknown.length) {
          problems.push(`${where}: unknown placeholder {{${unknown[0]}}}`)
        } else {
          kept[key] = Object.assign(kept[key] || {}, { [lang]: text })
        }
      }
    })
  })
  return { kept, problems }
}

// The action the skill runs before the handoff flow: keeps the checked texts in temp
// for this handoff only (the skill forgets them when the handoff flow returns).
function keepStudioTexts() {
  const { kept, problems } = checkedStudioTexts(args && args.texts)
  problems.forEach(problem => log.warn(`hitl-gen: Studio text ${problem}; the spec's text is said instead`))
  if (Object.keys(kept).length) {
    temp[CONFIG.studio.stateKey] = kept
  } else {
    delete temp[CONFIG.studio.stateKey]
  }
}

// What the content elements of overridable texts read (prepare.js, under
// temp.hitl_vars[CONFIG.studio.vars]): each kept text, filled and made inert.
function studioVars(vars) {
  if (!CONFIG.studio) return {}
  const { kept } = checkedStudioTexts(temp[CONFIG.studio.stateKey])
  const filled = {}
  Object.keys(kept).forEach(key => {
    filled[key] = {}
    Object.keys(kept[key]).forEach(lang => { filled[key][lang] = inert(fill(kept[key][lang], vars)) })
  })
  return filled
}

// Pauses this conversation (hitl) or creates the handoff (hitlnext); false when it
// could not (temp.hitl_failed says why) or no agent is online (temp.hitl_no_agent).
async function handToAgents() {
  try {
    if (CONFIG.module === 'hitl') {
      await setPaused('pause', CONFIG.pauseScope)
      return true
    }
    if (CONFIG.checkAgents && !(await agentOnline())) {
      temp.hitl_no_agent = true
      log.info(`hitl-gen: no agent online for ${event.target}; not creating a handoff`)
      return false
    }
    await createHandoff()
    return true
  } catch (err) {
    fail(failedStep(err, 'handing the conversation to an agent'))
    return false
  }
}

// Outside the hours the off-hours message replaces `say`, whether the conversation was
// handed over (off_hours.hand_over) or kept by the bot.
function userMessage(handedOver, closed, tried) {
  if (closed && (handedOver || !tried)) return CONFIG.offHours.say
  if (handedOver) return CONFIG.say
  return temp.hitl_no_agent ? CONFIG.noAgentSay : CONFIG.failureSay
}

// Each step is isolated: a failed alert does not stop the handover, a failed
// handover still alerts agents, and nothing is thrown to the dialog engine.
async function handOver() {
  temp.hitl_no_agent = false
  const closed = CONFIG.hours ? decideHours() === 'closed' : false
  if (CONFIG.fullName) {
    try {
      await nameTheUser()
    } catch (err) {
      log.warn(`hitl-gen: setting the full name failed: ${err.message}`)
    }
  }

  const tried = !closed || CONFIG.offHours.handOver
  const handedOver = tried && (await handToAgents())

  const vars = messageVars()
  const alertFailures = await alertAgents(vars)
  temp.hitl_alert_errors = alertFailures
  temp.hitl_alert_failed = alertFailures.length > 0

  // Said here, in the user's language: HITL Next's own transferMessage would go out in
  // the bot's default language, so config/hitlnext.json leaves it empty (FACTS §7).
  const message = userMessage(handedOver, closed, tried)
  try {
    if (message) await tellUser(message, vars)
  } catch (err) {
    log.warn(`hitl-gen: telling the user failed: ${err.message}`)
  }
}

// Hands the conversation back to the bot. With hitlnext the agent resolves the
// handoff in the HITL Next screen; this action then only tells the user.
async function resumeBot() {
  if (CONFIG.module === 'hitl') {
    try {
      await setPaused('unpause', CONFIG.pauseScope)
    } catch (err) {
      fail(failedStep(err, 'unpausing the conversation'))
      return
    }
  }
  if (CONFIG.say) {
    await tellUser(CONFIG.say, messageVars())
  }
}

// hitl-gen/pause and hitl-gen/unpause (CONFIG.action), for builders' own flows.
async function pauseOrUnpause() {
  const scope = (args && args.scope) || CONFIG.pauseScope
  if (scope !== 'conversation' && scope !== 'user') {
    fail(`scope must be "conversation" or "user", not "${scope}"`)
    return
  }
  try {
    await setPaused(CONFIG.action, scope)
  } catch (err) {
    fail(failedStep(err, `${CONFIG.action === 'pause' ? 'pausing' : 'unpausing'} the conversation`))
  }
}

// What each generated action runs: its file names the entry. None throws to the dialog
// engine: the ones a flow branches on set temp.hitl_failed (cleared as they start), the others log.
const failing = step => () => {
  temp.hitl_failed = false
  temp.hitl_error = ''
  return step().catch(err => fail(`unexpected error: ${err && err.message}`))
}
const logging = (what, step) => async () => {
  try {
    await step()
  } catch (err) {
    log.warn(`hitl-gen: ${what} failed: ${err && err.message}`)
  }
}

return {
  start: failing(handOver),
  resume: failing(resumeBot),
  setPaused: failing(pauseOrUnpause),
  alertAgents: logging('alerting agents', async () => {
    temp.hitl_alert_errors = await alertAgents(messageVars(), args && args.kinds)
    temp.hitl_alert_failed = temp.hitl_alert_errors.length > 0
  }),
  prepareCallApi: logging('preparing the API call', prepareCallApi),
  // temp[CONFIG.hoursKey] becomes "open" or "closed" for the handoff that starts now:
  // the flow branches on it, and the alerts' {{hours}} says it.
  hours: logging('checking the business hours', async () => decideHours()),
  setFullName: logging('setting the full name', async () => { temp.hitl_full_name = await nameTheUser() }),
  // Run by the Studio skill "Talk to an agent" with the builder's texts (lib/studio_texts.js).
  studioTexts: logging('keeping the Studio texts', async () => keepStudioTexts()),
  // For builders who start the handoff from their own flow: sets this handoff's own flag
  // (true when this message should start it) and reason in temp. Every key is the
  // handoff's own (CONFIG.keys), so two handoffs in one bot never read each other's.
  // (The generated trigger hook starts handoffs without it.)
  shouldStart: logging('checking the trigger', async () => {
    const reason = triggerReason(CONFIG, messageOf(event, userLanguage()), session)
    temp[CONFIG.keys.flag] = reason !== ''
    temp[CONFIG.keys.reason] = reason
  })
}
