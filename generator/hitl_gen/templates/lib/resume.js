// Hands the conversation back to the bot. With hitlnext the agent resolves the
// handoff in the HITL Next screen; this action then only tells the user.
async function resumeBot() {
  if (CONFIG.module === 'hitl') {
    try {
      await setPaused('unpause', CONFIG.pauseScope)
    } catch (err) {
      fail(failedStep(err, 'unpausing the conversation'))
      return
    }
  }
  if (CONFIG.say) {
    await tellUser(CONFIG.say, messageVars())
  }
}

// hitl-gen/pause and hitl-gen/unpause (CONFIG.action), for builders' own flows.
async function pauseOrUnpause() {
  const scope = (args && args.scope) || CONFIG.pauseScope
  if (scope !== 'conversation' && scope !== 'user') {
    fail(`scope must be "conversation" or "user", not "${scope}"`)
    return
  }
  try {
    await setPaused(CONFIG.action, scope)
  } catch (err) {
    fail(failedStep(err, `${CONFIG.action === 'pause' ? 'pausing' : 'unpausing'} the conversation`))
  }
}
