// The Call-API skill cannot get a server token itself (FACTS §8). This puts the
// bot's API base URL and a short-lived bearer header into temp just before the
// skills run, plus the message values and webhook requests the skills send.
const run = async () => {
  const api = await bp.http.getAxiosConfigForBot(event.botId, { localUrl: true })
  temp.hitl_api = { baseURL: api.baseURL, authorization: api.headers.Authorization }
  const vars = messageVars()
  temp.hitl_vars = vars
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
