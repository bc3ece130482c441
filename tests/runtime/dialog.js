'use strict'
// A walker over Botpress flow files with the dialog engine's rules (FACTS §2-§4):
// onEnter instructions, waiting where onReceive is an array, `next` conditions
// as JavaScript over event/user/temp/session (and `lastNode=`), `#` returns to
// the caller, `x.flow.json` jumps (`x.flow.json#node` to that node), skill-call nodes run their sub-flow, and a
// throwing action sends the dialog to temp.onErrorFlowTo or error.flow.json.
const fs = require('fs')
const path = require('path')
const _ = require('lodash')
const { renderTemplate } = require('./templating')
const { runActionFile } = require('./sandbox')
const BUILTINS = require('./builtins')

const MAX_STEPS = 200

class FlowNotFound extends Error {}

function loadFlow(ctx, name) {
  if (!ctx.flows[name]) {
    const file = path.join(ctx.botDir, 'flows', name)
    if (!fs.existsSync(file)) throw new FlowNotFound(`Flow not found: ${name}`)
    ctx.flows[name] = JSON.parse(fs.readFileSync(file, 'utf8'))
  }
  return ctx.flows[name]
}

function findNode(flow, name, flowName) {
  const node = flow.nodes.find(n => n.name === name)
  if (!node) throw new Error(`Node "${name}" not found in ${flowName}`)
  return node
}

function evalCondition(condition, event) {
  if (condition === 'true') return true
  if (condition.startsWith('lastNode')) {
    const stack = event.state.__stacktrace
    if (!stack.length) return false
    const last = stack.length === 1 ? stack[0] : stack[stack.length - 2]
    return condition === `lastNode=${last.node}`
  }
  const fn = new Function('event', 'user', 'temp', 'session',
    `try { return ${condition}; } catch (err) { if (err instanceof TypeError) { return false } throw err }`)
  return fn(event, event.state.user, event.state.temp || {}, event.state.session)
}

function parseInstruction(text) {
  const [head] = text.split(' ')
  const argsStr = text.length > head.length ? text.slice(head.length + 1) : ''
  return { name: head, argsStr }
}

async function runInstruction(ctx, instruction, event, turn) {
  if (instruction.indexOf('say ') === 0) {
    const chunks = instruction.split(' ')
    const element = chunks[1]
    const params = chunks.slice(2).join(' ')
    const extra = params ? JSON.parse(params) : {}
    const args = Object.assign({}, extra, {
      event, user: event.state.user, session: event.state.session, temp: event.state.temp, bot: event.state.bot
    })
    const destination = _.pick(event, ['channel', 'target', 'botId', 'threadId'])
    const payloads = await ctx.bp.cms.renderElement(element, args, destination)
    await ctx.bp.events.replyToEvent(destination, payloads)
    return null
  }
  const { name, argsStr } = parseInstruction(instruction)
  let args = argsStr ? JSON.parse(argsStr) : {}
  const context = { event, user: event.state.user, session: event.state.session, temp: event.state.temp, bot: event.state.bot }
  args = _.mapValues(args, value => renderTemplate(value, context))
  const record = { name, args, error: null, durationMs: 0 }
  turn.actions.push(record)
  const started = Date.now()
  try {
    if (BUILTINS[name]) {
      await BUILTINS[name](event, args, ctx)
    } else {
      const file = [path.join(ctx.botDir, 'actions', `${name}.js`), path.join(ctx.dataDir, 'global', 'actions', `${name}.js`)]
        .find(candidate => fs.existsSync(candidate))
      if (!file) throw new Error(`Action "${name}" not found, `)
      const result = await runActionFile(ctx, file, args, event)
      if (result.error) throw new Error(result.error.message)
    }
  } catch (err) {
    record.error = err.message
  }
  record.durationMs = Date.now() - started
  if (record.error) {
    const target = event.state.temp.onErrorFlowTo
    return typeof target === 'string' && target.length ? target : 'error.flow.json'
  }
  return null
}

// Enter `target` from the current position; returns when the dialog waits or ends.
async function walk(ctx, event, turn) {
  const state = event.state
  const context = state.context
  let steps = 0
  let pending = context.currentNode ? 'receive' : 'start'

  const jump = (flowName, nodeName) => {
    context.currentFlow = flowName
    context.currentNode = nodeName || loadFlow(ctx, flowName).startNode
    state.__stacktrace.push({ flow: context.currentFlow, node: context.currentNode })
    turn.visited.push(`${context.currentFlow}#${context.currentNode}`)
  }

  const transitionTo = target => {
    detectInfiniteLoop(state.__stacktrace)
    if (target === undefined || target === null || target === '') {
      state.context = {}
      turn.ended = true
      return 'end'
    }
    if (target.startsWith('#')) {  // back to the caller, `#<node>`: to that node of the caller's flow
      const back = context.jumpPoints.pop()
      if (!back) {
        state.context = {}
        turn.ended = true
        return 'end'
      }
      context.currentFlow = back.flow
      context.currentNode = target.slice(1) || back.node
      state.__stacktrace.push({ flow: back.flow, node: context.currentNode })
      turn.visited.push(`${back.flow}#${context.currentNode}<-`)
      return 'next'
    }
    if (target.includes('.flow.json')) {  // `<flow>.flow.json`, or `<flow>.flow.json#<node>`
      const [flowName, nodeName] = target.split('#')
      context.jumpPoints.push({ flow: context.currentFlow, node: context.currentNode })
      jump(flowName, nodeName)
      return 'enter'
    }
    jump(context.currentFlow, target)
    return 'enter'
  }

  // Runs instructions in order; a failing action sends the dialog to the error flow
  // (entered next), and the caller learns it by a true result.
  const runAllOrFail = async instructions => {
    for (const instruction of instructions || []) {
      const errorTarget = await runInstruction(ctx, instruction, event, turn)
      if (errorTarget) {
        context.jumpPoints = []
        jump(errorTarget)
        return true
      }
    }
    return false
  }

  if (pending === 'start') {
    context.jumpPoints = []
    jump(ctx.startFlow)
    pending = 'enter'
  }

  while (steps++ < MAX_STEPS) {
    const flow = loadFlow(ctx, context.currentFlow)
    const node = findNode(flow, context.currentNode, context.currentFlow)
    if (pending === 'enter') {
      if (node.type === 'skill-call') {
        context.jumpPoints.push({ flow: context.currentFlow, node: context.currentNode })
        jump(node.flow)
        continue
      }
      if (await runAllOrFail(node.onEnter)) continue
      if (Array.isArray(node.onReceive)) {
        turn.waiting = `${context.currentFlow}#${context.currentNode}`
        return
      }
      pending = 'next'
    } else if (pending === 'receive') {
      const catchAll = (flow.catchAll && flow.catchAll.next) || []
      const caught = catchAll.find(t => evalCondition(t.condition, event))
      if (caught) {
        pending = transitionTo(caught.node)
        if (pending === 'end') return
        continue
      }
      if (await runAllOrFail(node.onReceive)) {
        pending = 'enter'
        continue
      }
      pending = 'next'
    }
    if (pending === 'next') {
      const next = (node.next || []).find(t => evalCondition(t.condition, event))
      if (!next) {
        turn.ended = true
        state.context = {}
        return
      }
      pending = transitionTo(next.node)
      if (pending === 'end') return
    }
  }
  throw new Error(`the dialog did not settle after ${MAX_STEPS} steps (a transition loop?)`)
}

// The real engine checks before every transition: a node entered 3 times in one event
// is a loop; it throws, and on a real server the worker restarts (FACTS §12).
function detectInfiniteLoop(stacktrace) {
  const counts = _.countBy(stacktrace, x => `${x.flow} (${x.node})`)
  const looping = Object.keys(counts).find(key => counts[key] >= 3)
  if (looping) throw new InfiniteLoop(`Infinite loop detected. (${looping})`)
}

class InfiniteLoop extends Error {}

async function processEvent(ctx, event, turn) {
  try {
    await walk(ctx, event, turn)
  } catch (err) {
    const fatal = err instanceof FlowNotFound || err instanceof InfiniteLoop
    turn.crash = fatal ? `worker crashed: ${err.message}` : err.message
  }
}

module.exports = { processEvent, evalCondition }
