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
