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
