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
