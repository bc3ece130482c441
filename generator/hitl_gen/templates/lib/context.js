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
