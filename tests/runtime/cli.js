'use strict'
// Entry point for the Python tests: one JSON request on stdin, one JSON answer on stdout.
//   {op: "metadata", files: [...]}
//   {op: "action", file, event, args, ...context}
//   {op: "conversation", user, steps, ...context}
// Context: botpress (version), api {localUrl, token}, env (host environment),
// processInfo {EXTERNAL_URL...}, dataDir, botDir, botId, defaultLanguage,
// emulatorUrl, moduleConfig, contentElements (read from botDir if absent), now (a fixed
// clock inside action sandboxes: an ISO date or milliseconds; a step's `now` wins).
const fs = require('fs')
const path = require('path')
const axios = require('axios')
const { extractMetadata } = require('./metadata')
const { runActionFile } = require('./sandbox')
const { createBp } = require('./bp')
const { processEvent } = require('./dialog')

function readStdin() {
  return new Promise(resolve => {
    let data = ''
    process.stdin.setEncoding('utf8')
    process.stdin.on('data', chunk => { data += chunk })
    process.stdin.on('end', () => resolve(data))
  })
}

function loadContentElements(botDir) {
  const elements = {}
  const dir = botDir && path.join(botDir, 'content-elements')
  if (!dir || !fs.existsSync(dir)) return elements
  fs.readdirSync(dir).filter(f => f.endsWith('.json')).forEach(file => {
    const contentType = file.replace(/\.json$/, '')
    JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).forEach(el => {
      elements[el.id] = Object.assign({ contentType }, el)
    })
  })
  return elements
}

// The Botpress data folder of an action file (<data>/bots/<bot>/actions/... or
// <data>/global/actions/...) or of a bot folder, for callers that do not name it.
function dataDirOf(file) {
  if (!file) return undefined
  const parts = path.resolve(file).split(path.sep)
  const at = parts.lastIndexOf('actions')
  if (at >= 1 && parts[at - 1] === 'global') return parts.slice(0, at - 1).join(path.sep)
  if (at >= 2 && parts[at - 2] === 'bots') return parts.slice(0, at - 2).join(path.sep)
  if (parts[parts.length - 2] === 'bots') return parts.slice(0, -2).join(path.sep)
  return undefined
}

function makeContext(request) {
  const ctx = {
    botpress: request.botpress || '12.22.1',
    api: request.api || { localUrl: 'http://127.0.0.1:9', token: 'none' },
    env: request.env || {},
    processInfo: request.processInfo || {},
    dataDir: request.dataDir || dataDirOf(request.file || request.botDir),
    botDir: request.botDir,
    defaultLanguage: request.defaultLanguage || 'en',
    moduleConfig: request.moduleConfig || {},
    contentElements: request.contentElements || loadContentElements(request.botDir),
    userStore: request.userStore || {},
    tables: request.tables || {},
    realtime: [],
    flows: {},
    startFlow: request.startFlow || 'main.flow.json',
    now: request.now,
    logs: [],
    messages: [],
    notifications: []
  }
  ctx.bp = createBp(ctx)
  return ctx
}

function freshState(attributes) {
  return { user: Object.assign({}, attributes || {}), session: {}, temp: {}, bot: {}, workflow: {}, context: {}, __stacktrace: [] }
}

async function runAction(request) {
  const ctx = makeContext(request)
  const event = request.event
  event.state = Object.assign(freshState(), event.state || {})
  const record = await runActionFile(ctx, request.file, request.args || {}, event)
  return { record, state: event.state, logs: ctx.logs, messages: ctx.messages, notifications: ctx.notifications, hasNotifications: !!ctx.bp.notifications,
    userStore: ctx.userStore, tables: ctx.tables, realtime: ctx.realtime }
}

async function conversation(request) {
  const ctx = makeContext(request)
  const who = request.user
  const state = freshState(who.attributes)
  if (who.language) state.user.language = who.language
  const turns = []
  let counter = 0
  for (const step of request.steps) {
    const turn = { step, swallowed: false, messages: [], actions: [], visited: [], logs: [], waiting: null, ended: false, crash: null }
    turns.push(turn)
    ctx.now = step.now !== undefined ? step.now : request.now
    if (step.agent) {  // an agent acts in the HITL screen between two user messages
      await axios.post(`${request.emulatorUrl}/__emulator/agent`, { botId: request.botId, channel: who.channel, target: who.target, threadId: who.threadId, action: step.agent })
      continue
    }
    const type = step.type || 'text'
    if (request.emulatorUrl) {
      const { data } = await axios.post(`${request.emulatorUrl}/__emulator/incoming`, {
        botId: request.botId, channel: who.channel, target: who.target, threadId: who.threadId, type, text: step.text || ''
      })
      turn.swallowed = data.swallowed
      turn.sessionId = data.sessionId
    }
    if (turn.swallowed) continue
    const event = {
      id: `evt-${++counter}`, botId: request.botId, channel: who.channel, target: who.target, threadId: who.threadId,
      direction: 'incoming', type, preview: step.text || '',
      payload: { type, text: step.text || '', payload: step.payload },
      nlu: { intent: { name: step.intent || 'none', confidence: step.intent ? 0.9 : 0 }, language: state.user.language || ctx.defaultLanguage },
      state
    }
    state.__stacktrace = []  // per event, as the real state manager restores it
    const logStart = ctx.logs.length
    const messageStart = ctx.messages.length
    await processEvent(ctx, event, turn)
    turn.logs = ctx.logs.slice(logStart)
    turn.messages = ctx.messages.slice(messageStart)
    if (request.emulatorUrl) {
      await axios.post(`${request.emulatorUrl}/__emulator/users`, { botId: request.botId, channel: who.channel, target: who.target, attributes: state.user })
    }
  }
  return { turns, state, notifications: ctx.notifications }
}

async function main() {
  const request = JSON.parse(await readStdin())
  let answer
  if (request.op === 'metadata') {
    answer = request.files.map(file => Object.assign({ file }, extractMetadata(fs.readFileSync(file, 'utf8'))))
  } else if (request.op === 'action') {
    answer = await runAction(request)
  } else if (request.op === 'conversation') {
    answer = await conversation(request)
  } else {
    throw new Error(`unknown op ${request.op}`)
  }
  process.stdout.write(JSON.stringify(answer))
}

main().catch(err => {
  process.stderr.write(String((err && err.stack) || err))
  process.exit(1)
})
