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
