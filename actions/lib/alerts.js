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
    throw new Error('bp.notifications does not exist in this Botpress (removed in 12.22.0); alert agents by email or webhook')
  }
  const message = fill(pickText(alert.message), vars)
  await bp.notifications.create(event.botId, { message, level: alert.level, url: CONFIG.agentScreen.replace('{bot}', event.botId) })
}

const ALERT_SENDERS = { webhook: postWebhook, email: sendEmail, admin_notification: notifyAdmins }

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
