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
  { id: 'closed', caption: 'Off hours', node: 'closed' }
]
const FAILED = { id: 'failed', caption: 'Not handed over' }
// Nodes of a handoff flow that say something, shown in the form so the builder sees
// what the user will read at each exit.
const SAYING_NODES = { handed_over: 'handed', failed: 'failed', no_agent: 'no_agent_found', off_hours: 'closed' }
const SAY = /^say #!(builtin_text-[A-Za-z0-9_-]+)/
// A spec's {{full_name}} as the build writes it into a content element, shown as written in the spec.
const SPEC_PLACEHOLDER = /\{\{\{temp\.hitl_vars\.([A-Za-z0-9_.]+)\}\}\}/g

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

/** The element's text in each of the bot's languages (every language it has, when the
 * bot's are unknown). */
function textsOf(formData, languages) {
  const texts = {}
  for (const key of Object.keys(formData)) {
    const lang = key.startsWith('text$') ? key.slice(5) : null
    if (lang && (!languages.length || languages.includes(lang)) && typeof formData[key] === 'string') {
      texts[lang] = formData[key].replace(SPEC_PLACEHOLDER, '{{$1}}')
    }
  }
  return texts
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
    for (const node of flow.nodes || []) {
      const exit = SAYING_NODES[node.name]
      const said = exit && (node.onEnter || []).map(text => SAY.exec(String(text))).find(Boolean)
      if (said && texts.has(said[1])) {
        says[exit] = textsOf(texts.get(said[1]), languages)
      }
    }
    handoffs.push({
      id: found[1],
      flow: name,
      flag: entryFlag(flow),
      module: nodes.has('pause') ? 'hitl' : 'hitlnext',
      exits: EXITS.filter(exit => nodes.has(exit.node)).map(exit => exit.id).concat(FAILED.id),
      says
    })
  }
  return handoffs
}

/** The skill's flow: raise the handoff's entry flag and jump into its flow; when it
 * returns (`#`, in the same turn), the flag is down, so go back to the skill-call node,
 * whose transitions read temp.hitl_outcome. */
function skillNodes(handoff) {
  const setTemp = (name, value) => ({
    type: 'run',
    name: 'builtin/setVariable',
    args: { type: 'temp', name, value }
  })
  return [
    {
      name: 'entry',
      onEnter: [setTemp(OUTCOME, ''), setTemp(handoff.flag, 'true')],
      next: [
        { condition: `temp.${handoff.flag}`, node: handoff.flow },
        { condition: 'true', node: '#' }
      ]
    }
  ]
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

/** What the form chose, checked: from 12.31 on, the Studio is a process of its own that
 * loads this file but starts nothing in it (no `bp`), so the skill's data carries the
 * handoff's flow, flag and exits as the listing gave them. */
function fromSkillData(data) {
  const id = data.handoff
  const exits = Array.isArray(data.exits) ? data.exits : []
  const known = EXITS.map(exit => exit.id).concat(FAILED.id)
  if (data.flow !== id + '.flow.json' || typeof data.flag !== 'string' || !/^hitl_start_[A-Za-z0-9_-]{1,100}$/.test(data.flag) ||
      !exits.every(exit => known.includes(exit))) {
    throw skillError(`the skill's data for handoff "${id}" is incomplete; choose the handoff again in the skill's form`)
  }
  return { id, flow: data.flow, flag: data.flag, exits }
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
    flow: { nodes: skillNodes(handoff), catchAll: { next: [] } }
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

// Botpress takes `default` when there is one; the rest is for hitl-gen's own tests.
module.exports = { default: entryPoint, forTests: { listHandoffs, generateFlow, entryFlag } }
