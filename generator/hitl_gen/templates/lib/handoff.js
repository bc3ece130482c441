async function agentOnline() {
  const { data } = await axios.get(CONFIG.routes.agents, await botApi())
  return Array.isArray(data) && data.some(agent => agent.online)
}

// HITL Next keys handoffs by thread; a second call while one is active is a no-op.
async function createHandoff() {
  if (event.channel === 'api') {
    throw new Error('HITL Next does not work with the Converse API (channel "api"); hand over from channel-web')
  }
  if (!event.threadId) {
    throw new Error(`HITL Next needs a conversation thread, and channel "${event.channel}" has none; use channel-web or the hitl module`)
  }
  const body = { userId: event.target, userThreadId: String(event.threadId), userChannel: event.channel }
  await axios.post(CONFIG.routes.handoffs, body, await botApi())
}
