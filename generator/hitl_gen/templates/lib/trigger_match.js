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
