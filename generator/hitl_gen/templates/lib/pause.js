// Pause or unpause through the channel/user route. The /sessions/<id> route wants
// HITL's own session number, which is NOT event.threadId: using the thread id there
// pauses somebody else's conversation.
async function setPaused(action, scope) {
  const params = scope === 'conversation' && event.threadId ? { threadId: String(event.threadId) } : {}
  const config = Object.assign(await botApi(), { params })
  try {
    const response = await axios.post(userActionPath(action), {}, config)
    expectAnswer(response, data => data === 'OK', 'OK', `${action === 'pause' ? 'pausing' : 'unpausing'} the conversation`)
  } catch (err) {
    if (action === 'pause' && timedOut(err)) err.undone = await undoLatePause(config)
    throw err
  }
}

function userActionPath(action) {
  return CONFIG.routes.userAction
    .replace('{channel}', encodeURIComponent(event.channel))
    .replace('{user}', encodeURIComponent(event.target))
    .replace('{action}', action)
}

// A pause that got no answer in time may still land: the user would be told the handover
// failed while HITL holds every message they send. So it is undone at once (the server
// handles the unpause after the pause it is still busy with), and the user is told
// what HITL then holds. False when even the undo got no answer.
async function undoLatePause(config) {
  try {
    // Twice the time: the server is slow right now, and this answer decides what the user is told.
    await axios.post(userActionPath('unpause'), {}, Object.assign({}, config, { timeout: 2 * CONFIG.timeoutMs }))
    return true
  } catch (err) {
    return false
  }
}
