// hitl-gen's Botpress module (written by `hitl-gen module`): adds the Studio skill
// "Talk to an agent", which runs one of the handoffs `hitl-gen build` installed in the
// bot and offers how it ended as transitions. Plain JavaScript for Botpress 12's
// module loader (it requires dist/backend/index.js of each enabled module folder).
'use strict'

const MODULE = 'hitl-gen'
const SKILL = 'TalkToAgent'
const FLOW_DESCRIPTION = /^hitl-gen handoff ([A-Za-z0-9_-]+)$/
// How a handoff flow ended, as it records it in temp.hitl_outcome (render/flow/handoff.py).
const OUTCOME = 'hitl_outcome'
// Each exit of the skill, in the order its transitions are checked: the outcome the
// handoff flow records, and the node of that flow that records it. `true` last.
const EXITS = [
  { id: 'handed', caption: 'Handed over (after the agent)', node: 'handed' },
  { id: 'no_agent_found', caption: 'No agent online', node: 'no_agent_found' },
  { id: 'timed_out', caption: 'No agent in time', node: 'timed_out' },
  { id: 'closed', caption: 'Off hours', node: 'closed' }
]
const FAILED = { id: 'failed', caption: 'Not handed over' }
// Nodes of a handoff flow that say something, shown in the form so the builder sees
// what the user will read at each exit.
const SAYING_NODES = { handed_over: 'handed', failed: 'failed', no_agent: 'no_agent_found', timed_out: 'timed_out', off_hours: 'closed' }
const SAY = /^say #!(builtin_text-[A-Za-z0-9_-]+)/
// A spec's {{full_name}} as the build writes it into a content element, shown as written in the spec.
const SPEC_PLACEHOLDER = /\{\{\{temp\.hitl_vars\.([A-Za-z0-9_.]+)\}\}\}/g
// Which texts the builder may override and how they are checked: hitl-gen's table
// (hitl_gen/studio_texts.py), written beside this file by `hitl-gen module`.
const TEXTS = require('./texts.json')
// A content element text the builder may override (studio_texts.with_override):
// {{#v}}{{{v}}}{{/v}}{{^v}}<the spec's text>{{/v}}, v = <contentVar><text>.<language>.
const OVERRIDABLE = /^\{\{#([^{}\s]+)\}\}\{\{\{\1\}\}\}\{\{\/\1\}\}\{\{\^\1\}\}([\s\S]*)\{\{\/\1\}\}$/

function parseInstruction(text) {
  const space = text.indexOf(' ')
  if (space < 0) {
    return { name: text, args: {} }
  }
  try {
    const args = JSON.parse(text.slice(space + 1))
    return { name: text.slice(0, space), args: args && typeof args === 'object' ? args : {} }
  } catch (err) {
    return { name: text.slice(0, space), args: {} }
  }
}

/** The flag the handoff flow clears on entry (FACTS §12: a flag that started a
 * sub-flow must be cleared when it starts). The skill raises it to jump in, so the
 * jump is not taken again when the handoff flow returns to the skill's node. */
function entryFlag(flow) {
  const start = (flow.nodes || []).find(node => node.name === flow.startNode)
  for (const text of (start && start.onEnter) || []) {
    const { name, args } = parseInstruction(String(text))
    if (name === 'builtin/setVariable' && args.type === 'temp' && /^hitl_start_/.test(args.name || '') && !args.value) {
      return args.name
    }
  }
  return undefined
}

async function readTexts(ghost) {
  try {
    const elements = await ghost.readFileAsObject('content-elements', 'builtin_text.json')
    return new Map((Array.isArray(elements) ? elements : []).map(element => [element.id, element.formData || {}]))
  } catch (err) {
    return new Map()
  }
}

/** The text the builder may override in an element's text, if any: its name in the
 * spec's `studio.texts`, and the spec's text around which the override was built. */
function overridable(text) {
  const found = OVERRIDABLE.exec(text)
  if (!found || !found[1].startsWith(TEXTS.contentVar)) {
    return null
  }
  const key = found[1].slice(TEXTS.contentVar.length).split('.')[0]
  return TEXTS.keys.includes(key) ? { key, said: found[2] } : null
}

/** The element's text in each of the bot's languages (every language it has, when the
 * bot's are unknown), as the spec wrote it, and its name in `studio.texts` when the
 * builder may override it. */
function textsOf(formData, languages) {
  const texts = {}
  const names = []
  for (const key of Object.keys(formData)) {
    const lang = key.startsWith('text$') ? key.slice(5) : null
    if (lang && (!languages.length || languages.includes(lang)) && typeof formData[key] === 'string') {
      const override = overridable(formData[key])
      names.push(override && override.key)
      texts[lang] = (override ? override.said : formData[key]).replace(SPEC_PLACEHOLDER, '{{$1}}')
    }
  }
  // One name in every language; else the builder edited the element, and it is not overridden.
  const studio = names.length && names.every(name => name && name === names[0]) ? names[0] : null
  return { texts, studio }
}

/** The action that takes the builder's texts: `<namespace>/<handoff>/studio_texts`,
 * beside the handoff's prepare action in the same flow. */
function textsActionOf(flow, id) {
  const prepare = new RegExp('^([a-z0-9][a-z0-9_-]{0,39})/' + id + '/prepare_call_api( |$)')
  for (const node of flow.nodes || []) {
    for (const text of node.onEnter || []) {
      const found = prepare.exec(String(text))
      if (found) {
        return `${found[1]}/${id}/studio_texts`
      }
    }
  }
  return undefined
}

/** The handoffs `hitl-gen build` installed in the bot: one flow each, described
 * "hitl-gen handoff <id>". */
async function listHandoffs(bp, botId) {
  const ghost = bp.ghost.forBot(botId)
  const names = (await ghost.directoryListing('flows', '*.flow.json')).filter(name => !name.includes('/')).sort()
  let languages = []
  try {
    const config = await ghost.readFileAsObject('', 'bot.config.json')
    languages = (config && Array.isArray(config.languages) && config.languages) || []
  } catch (err) {
    languages = []
  }
  const texts = await readTexts(ghost)
  const handoffs = []
  for (const name of names) {
    let flow
    try {
      flow = await ghost.readFileAsObject('flows', name)
    } catch (err) {
      continue
    }
    const found = FLOW_DESCRIPTION.exec((flow && flow.description) || '')
    if (!found || name !== found[1] + '.flow.json') {
      continue
    }
    const nodes = new Set((flow.nodes || []).map(node => node.name))
    const says = {}
    const overridden = {}
    for (const node of flow.nodes || []) {
      const said = (node.onEnter || []).map(text => SAY.exec(String(text))).find(Boolean)
      if (!said || !texts.has(said[1])) {
        continue
      }
      const element = textsOf(texts.get(said[1]), languages)
      if (SAYING_NODES[node.name]) {
        says[SAYING_NODES[node.name]] = element.texts
      }
      if (element.studio) {
        overridden[element.studio] = element.texts
      }
    }
    const textsAction = textsActionOf(flow, found[1])
    const handoff = {
      id: found[1],
      flow: name,
      flag: entryFlag(flow),
      module: nodes.has('pause') ? 'hitl' : 'hitlnext',
      exits: EXITS.filter(exit => nodes.has(exit.node)).map(exit => exit.id).concat(FAILED.id),
      says
    }
    if (textsAction && Object.keys(overridden).length) {
      // The texts the form offers to change, in the spec's order, with the spec's text.
      handoff.texts = TEXTS.keys.filter(key => overridden[key]).map(key => ({ key, said: overridden[key] }))
      handoff.textsAction = textsAction
      handoff.languages = languages.length ? languages : Object.keys(handoff.texts[0].said)
    }
    handoffs.push(handoff)
  }
  return handoffs
}

/** The skill's flow: raise the handoff's entry flag and jump into its flow; when it
 * returns (`#`, in the same turn), the flag is down, so go back to the skill-call node,
 * whose transitions read temp.hitl_outcome. */
function skillNodes(handoff, texts) {
  const setTemp = (name, value) => ({
    type: 'run',
    name: 'builtin/setVariable',
    args: { type: 'temp', name, value }
  })
  // Where the spec lets the Studio change texts, the builder's go to the handoff's action
  // as a nested argument, which Botpress passes as typed (it renders top-level strings
  // only): no Mustache pass over them. The action keeps them in temp for this handoff;
  // `done` forgets them once it returns. Without texts, only Botpress's own action runs:
  // it forgets what an interrupted skill left, and the node keeps working if a later
  // build drops the spec's studio.texts.
  const kept = handoff.textsAction && TEXTS.stateKeyPrefix + handoff.id
  const keep = !kept ? [] : [Object.keys(texts).length ? { type: 'run', name: handoff.textsAction, args: { texts } } : setTemp(kept, '')]
  const entry = {
    name: 'entry',
    onEnter: [setTemp(OUTCOME, ''), ...keep, setTemp(handoff.flag, 'true')],
    next: [
      { condition: `temp.${handoff.flag}`, node: handoff.flow },
      { condition: 'true', node: kept ? 'done' : '#' }
    ]
  }
  return kept ? [entry, { name: 'done', onEnter: [setTemp(kept, '')], next: [{ condition: 'true', node: '#' }] }] : [entry]
}

function transitions(handoff) {
  return EXITS.filter(exit => handoff.exits.includes(exit.id))
    .map(exit => ({ caption: exit.caption, condition: `temp.${OUTCOME} === '${exit.id}'`, node: '' }))
    .concat({ caption: FAILED.caption, condition: 'true', node: '' })
}

function skillError(message) {
  const error = new Error(message)
  error.hideStack = true
  return error
}

const ID = /^[A-Za-z0-9_-]{1,100}$/
const TEXTS_ACTION = /^[a-z0-9][a-z0-9_-]{0,39}\/[A-Za-z0-9_-]{1,100}\/studio_texts$/
const USER_ATTRIBUTE = new RegExp('^(?:' + TEXTS.userAttribute + ')$')

/** The builder's texts, checked as the handoff's action will check them: only the texts
 * the spec lets the Studio change, in the bot's languages, with the spec's placeholders.
 * Empty fields are left out (the spec's text is said). */
function checkedTexts(handoff, given) {
  const texts = {}
  if (given === undefined || given === null) {
    return texts
  }
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw skillError('the texts must be given per text and language')
  }
  const allowed = (handoff.texts || []).map(text => text.key)
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key) || typeof given[key] !== 'object' || given[key] === null) {
      throw skillError(allowed.length
        ? `handoff "${handoff.id}" lets the Studio change ${allowed.join(', ')}, not "${key}"`
        : `handoff "${handoff.id}" does not let the Studio change its texts; list them in the spec's studio.texts and build again`)
    }
    for (const lang of Object.keys(given[key])) {
      const text = given[key][lang]
      if (text === '') {
        continue
      }
      if (!handoff.languages.includes(lang)) {
        throw skillError(`"${key}" in "${lang}": the bot speaks ${handoff.languages.join(', ')}`)
      }
      if (typeof text !== 'string' || text.length > TEXTS.maxLength) {
        throw skillError(`"${key}" in "${lang}": write a text of at most ${TEXTS.maxLength} characters`)
      }
      for (const match of text.matchAll(new RegExp(TEXTS.placeholder, 'g'))) {
        if (!TEXTS.placeholders.includes(match[1]) && !USER_ATTRIBUTE.test(match[1])) {
          const known = TEXTS.placeholders.map(name => `{{${name}}}`).join(', ')
          throw skillError(`"${key}" in "${lang}": unknown placeholder ${match[0]}; use one of ${known}, {{user.<attribute>}}`)
        }
      }
      texts[key] = Object.assign(texts[key] || {}, { [lang]: text })
    }
  }
  return texts
}

/** What the form chose, checked: from 12.31 on, the Studio is a process of its own that
 * loads this file but starts nothing in it (no `bp`), so the skill's data carries the
 * handoff's flow, flag and exits as the listing gave them. */
function fromSkillData(data) {
  const id = data.handoff
  const exits = Array.isArray(data.exits) ? data.exits : []
  const known = EXITS.map(exit => exit.id).concat(FAILED.id)
  const texts = Array.isArray(data.overridable) ? data.overridable : []
  const languages = Array.isArray(data.languages) ? data.languages : []
  if (data.flow !== id + '.flow.json' || typeof data.flag !== 'string' || !/^hitl_start_[A-Za-z0-9_-]{1,100}$/.test(data.flag) ||
      !exits.every(exit => known.includes(exit)) || !texts.every(key => TEXTS.keys.includes(key)) ||
      !languages.every(lang => typeof lang === 'string' && ID.test(lang)) ||
      (data.textsAction !== undefined && !(TEXTS_ACTION.test(data.textsAction) && data.textsAction.split('/')[1] === id))) {
    throw skillError(`the skill's data for handoff "${id}" is incomplete; choose the handoff again in the skill's form`)
  }
  const handoff = { id, flow: data.flow, flag: data.flag, exits }
  if (data.textsAction && texts.length) {
    Object.assign(handoff, { textsAction: data.textsAction, texts: texts.map(key => ({ key })), languages })
  }
  return handoff
}

async function generateFlow(bp, data, metadata) {
  const id = data && typeof data.handoff === 'string' ? data.handoff : ''
  if (!ID.test(id)) {
    throw skillError('pick a handoff')
  }
  let handoff
  if (bp) {
    // Botpress 12.22 runs this in the server itself: the bot's files are the truth.
    handoff = (await listHandoffs(bp, metadata.botId)).find(h => h.id === id)
    if (!handoff) {
      throw skillError(`bot ${metadata.botId} has no hitl-gen handoff "${id}"; run hitl-gen build for it first`)
    }
    if (!handoff.flag) {
      throw skillError(`the flow ${handoff.flow} was built by an older hitl-gen; build it again`)
    }
  } else {
    handoff = fromSkillData(data)
  }
  return {
    transitions: transitions(handoff),
    flow: { nodes: skillNodes(handoff, checkedTexts(handoff, data.texts)), catchAll: { next: [] } }
  }
}

let api

const entryPoint = {
  onServerStarted: async bp => {
    api = bp
  },
  onServerReady: async bp => {
    api = bp
    const router = bp.http.createRouterForBot(MODULE)
    // Who may read the bot's flows in the Studio may list its handoffs.
    router.get('/handoffs', bp.http.needPermission('read', 'bot.flows'), async (req, res) => {
      try {
        res.send({ version: 1, handoffs: await listHandoffs(bp, req.params.botId) })
      } catch (err) {
        bp.logger.forBot(req.params.botId).warn(`${MODULE}: cannot list the handoffs: ${err.message}`)
        res.status(500).send({ message: 'cannot list the handoffs' })
      }
    })
  },
  onModuleUnmount: async bp => {
    bp.http.deleteRouterForBot(MODULE)
  },
  translations: {
    en: { fullName: 'hitl-gen', talkToAgent: 'Talk to an agent' },
    fr: { fullName: 'hitl-gen', talkToAgent: 'Parler à un agent' },
    es: { fullName: 'hitl-gen', talkToAgent: 'Hablar con un agente' }
  },
  definition: {
    name: MODULE,
    fullName: 'hitl-gen',
    menuIcon: 'headset',
    noInterface: true,
    plugins: [],
    moduleView: { stretched: true }
  },
  skills: [
    {
      id: SKILL,
      name: `module.${MODULE}.talkToAgent`,
      icon: 'headset',
      flowGenerator: (data, metadata) => generateFlow(api, data, metadata)
    }
  ]
}

// Botpress takes the module's `default` export (hitl-gen's tests drive it the same way).
module.exports = { default: entryPoint }
