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
