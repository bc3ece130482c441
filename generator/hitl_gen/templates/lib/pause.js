// Pause or unpause through the channel/user route. The /sessions/<id> route wants
// HITL's own session number, which is NOT event.threadId: using the thread id there
// pauses somebody else's conversation.
async function setPaused(action, scope) {
  const path = CONFIG.routes.userAction
    .replace('{channel}', encodeURIComponent(event.channel))
    .replace('{user}', encodeURIComponent(event.target))
    .replace('{action}', action)
  const params = scope === 'conversation' && event.threadId ? { threadId: String(event.threadId) } : {}
  const config = Object.assign(await botApi(), { params })
  const response = await axios.post(path, {}, config)
  expectAnswer(response, data => data === 'OK', 'OK', `${action === 'pause' ? 'pausing' : 'unpausing'} the conversation`)
}
