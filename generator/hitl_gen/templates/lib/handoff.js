async function agentOnline() {
  const response = await axios.get(CONFIG.routes.agents, await botApi())
  const agents = expectAnswer(response, Array.isArray, 'a list of agents', 'listing the agents')
  return agents.some(agent => agent && agent.online)
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
  if (CONFIG.timeout) body[CONFIG.timeout.field] = CONFIG.timeout.seconds  // hitlnext 12.28+: expires unassigned
  const response = await axios.post(CONFIG.routes.handoffs, body, await botApi())
  // 201 with the new handoff, or 200 "OK" when this conversation already has an active one.
  const fits = data => (response.status === 201 ? Boolean(data && data.id) : data === 'OK')
  expectAnswer(response, fits, 'the handoff it created (or OK for one already active)', 'creating the handoff')
}
