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
