// hitl shows user.full_name, hitlnext shows user.fullName: set both. Assigning to
// `user` keeps every other attribute (bp.users.setAttributes would replace them all).
function setFullName() {
  const rule = CONFIG.fullName
  const name = rule.template !== null
    ? fill(rule.template, {}).replace(/\s+/g, ' ').trim()
    : rule.attributes.map(path => lookup(user, path)).filter(part => part != null && part !== '').join(' ')
  if (!name) {
    log.warn(`hitl-gen: no full name for user ${event.target}: the attributes ${rule.attributes.join(', ') || 'in the template'} are empty`)
    return ''
  }
  user.full_name = name
  user.fullName = name
  return name
}

// Botpress saves `user` when the turn ends, after the agent screens have read the name:
// HITL Next creates its handoff in this turn, and hitl froze the name into its session
// row (hitl_sessions.full_name, "# <random id>" when there was none) at the user's
// first message. So the name is stored at once, and hitl's row and open screens are told
// (seen on a real 12.22.1: the screens then show it without a reload).
async function showNameToAgents(name) {
  await bp.users.updateAttributes(event.channel, event.target, { full_name: name, fullName: name })
  if (CONFIG.module !== 'hitl') return
  const mine = { botId: event.botId, channel: event.channel, userId: event.target }
  const sessions = await bp.database('hitl_sessions').where(mine).select('id', 'user_image_url')
  if (!sessions.length) return
  await bp.database('hitl_sessions').where(mine).update({ full_name: name })
  for (const session of sessions) {
    const user_ = { id: event.target, fullName: name, avatarUrl: session.user_image_url, attributes: Object.assign({}, user) }
    bp.realtime.sendPayload(bp.RealTimePayload.forAdmins('hitl.session.changed', { id: session.id, user: user_ }))
  }
}

// The name, set and shown to agents; a failure to show it is logged, never thrown.
async function nameTheUser() {
  const name = setFullName()
  if (name) {
    await showNameToAgents(name).catch(err => log.warn(`hitl-gen: the agent screens may not show ${event.target}'s name yet: ${err.message}`))
  }
  return name
}
