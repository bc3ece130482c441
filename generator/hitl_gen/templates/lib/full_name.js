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
