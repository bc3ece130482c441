// Texts a builder typed in the "Talk to an agent" skill's form (hitl_gen/studio_texts.py):
// only the texts this handoff lets the Studio override, in the bot's languages, with the
// spec's placeholders. The skill passes them as a nested argument, which Botpress does
// not render; they are kept as typed and filled here in JavaScript, never by Mustache.
function checkedStudioTexts(given) {
  const rule = CONFIG.studio
  const userAttribute = new RegExp('^(?:' + rule.userAttribute + ')$')
  const kept = {}
  const problems = []
  const isObject = value => value !== null && typeof value === 'object' && !Array.isArray(value)
  Object.keys(isObject(given) ? given : {}).forEach(key => {
    if (!rule.keys.includes(key) || !isObject(given[key])) {
      problems.push(`"${key}" is not a text the spec lets the Studio change (${rule.keys.join(', ')})`)
      return
    }
    Object.keys(given[key]).forEach(lang => {
      const text = given[key][lang]
      const where = `"${key}" in "${lang}"`
      if (text === '') return  // left empty in the form: the spec's text
      if (!CONFIG.languages.includes(lang)) {
        problems.push(`${where}: the bot speaks ${CONFIG.languages.join(', ')}`)
      } else if (typeof text !== 'string' || text.length > rule.maxLength) {
        problems.push(`${where}: not a text of at most ${rule.maxLength} characters`)
      } else {
        const unknown = Array.from(text.matchAll(new RegExp(CONFIG.placeholder, 'g')), match => match[1])
          .filter(name => !rule.placeholders.includes(name) && !userAttribute.test(name))
        if (unknown.length) {
          problems.push(`${where}: unknown placeholder {{${unknown[0]}}}`)
        } else {
          kept[key] = Object.assign(kept[key] || {}, { [lang]: text })
        }
      }
    })
  })
  return { kept, problems }
}

// The action the skill runs before the handoff flow: keeps the checked texts in temp
// for this handoff only (the skill forgets them when the handoff flow returns).
function keepStudioTexts() {
  const { kept, problems } = checkedStudioTexts(args && args.texts)
  problems.forEach(problem => log.warn(`hitl-gen: Studio text ${problem}; the spec's text is said instead`))
  if (Object.keys(kept).length) {
    temp[CONFIG.studio.stateKey] = kept
  } else {
    delete temp[CONFIG.studio.stateKey]
  }
}

// What the content elements of overridable texts read (prepare.js, under
// temp.hitl_vars[CONFIG.studio.vars]): each kept text, filled and made inert.
function studioVars(vars) {
  if (!CONFIG.studio) return {}
  const { kept } = checkedStudioTexts(temp[CONFIG.studio.stateKey])
  const filled = {}
  Object.keys(kept).forEach(key => {
    filled[key] = {}
    Object.keys(kept[key]).forEach(lang => { filled[key][lang] = inert(fill(kept[key][lang], vars)) })
  })
  return filled
}
