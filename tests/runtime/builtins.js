'use strict'
// Behaviour of the Botpress built-in actions generated flows call. Written from
// FACTS §4 (and the modules' documented behaviour), not copied from Botpress.
const _ = require('lodash')
const axios = require('axios')
const { renderRecursive, renderTemplate } = require('./templating')

// basic-skills/call_api: headers and body rendered as templates; the response
// (or the error status) stored in event.state[memory][variable]; temp.valid set;
// never throws.
async function callApi(event, args, ctx) {
  const context = { event, user: event.state.user, temp: event.state.temp, session: event.state.session }
  const headers = renderRecursive(args.headers, context)
  const body = renderTemplate(args.body, context)
  const validKey = args.randomId ? `valid_${args.randomId}` : 'valid'
  const memory = event.state[args.memory] || (event.state[args.memory] = {})
  try {
    const response = await axios({ method: args.method, url: args.url, headers, data: body, timeout: 10000 })
    memory[args.variable] = { body: response.data, status: response.status }
    event.state.temp[validKey] = true
  } catch (error) {
    const code = (error.response && error.response.status) || error.code || ''
    ctx.bp.logger.error(`Error: ${code} while calling resource "${args.url}"`)
    memory[args.variable] = { status: code }
    event.state.temp[validKey] = false
  }
}

function choiceKeys(args) {
  const suffix = args.randomId ? `-${args.randomId}` : ''
  return { ret: `skill-choice-ret${suffix}`, valid: `skill-choice-valid${suffix}`, invalid: `skill-choice-invalid-count${suffix}` }
}

// basic-skills/choice_parse_answer: match the postback value, then exact, then contained keywords.
async function choiceParse(event, args) {
  const data = args.data || args
  const keys = choiceKeys(data)
  const lc = value => (typeof value === 'string' ? value.toLowerCase() : '')
  const texts = [lc(event.preview), lc(event.payload && event.payload.text), lc(event.payload && event.payload.payload)]
  let choice = _.findKey(data.keywords, words => _.some(words, k => texts.includes(lc(k))))
  if (!choice) choice = _.findKey(data.keywords, words => _.some(words, k => texts.some(t => lc(k) && t.includes(lc(k)))))
  if (choice) {
    event.state.temp[keys.ret] = choice
    event.state.temp[keys.valid] = true
  } else {
    event.state.temp[keys.valid] = false
  }
}

async function choiceInvalid(event, args) {
  const keys = choiceKeys(args || {})
  event.state.temp[keys.invalid] = (event.state.temp[keys.invalid] || 0) + 1
}

// builtin/setVariable: an empty value, 'null' or none deletes the variable (real 12.22.1).
async function setVariable(event, args) {
  const target = event.state[args.type] || (event.state[args.type] = {})
  if (args.value === 'null' || args.value === '' || typeof args.value === 'undefined') {
    delete target[args.name]
  } else {
    target[args.name] = args.value
  }
}

// builtin/removeContext: drop NLU contexts from the session.
async function removeContext(event, args) {
  const names = String(args.contexts || '').split(',').map(c => c.trim())
  event.state.session.nluContexts = (event.state.session.nluContexts || []).filter(c => !names.includes(c.context))
}

// basic-skills/send_email: subject and content are builtin_text elements rendered for
// the user; SMTP comes from the basic-skills config; temp.success tells the outcome.
// nodemailer is the module's own dependency, resolved here from runtime/optional.
async function sendEmail(event, args, ctx) {
  try {
    const config = (ctx.moduleConfig || {})['basic-skills'] || {}
    if (!config.transportConnectionString) throw new Error('You must configure the "basic-skills" module with valid SMTP credentials')
    const nodemailer = require(require('path').join(__dirname, 'optional', 'node_modules', 'nodemailer'))
    const params = { event, user: event.state.user, session: event.state.session, temp: event.state.temp, bot: event.state.bot }
    const textOf = async id => {
      const payloads = await ctx.bp.cms.renderElement('!' + id, params, event)
      // Like the real action: it drops "(missing translation) " and every "words: " (FACTS §12).
      return _.get(payloads.find(p => p.type === 'text'), 'text', '').replace('(missing translation) ', '').replace(/([A-Z0-9_ -]+: )/gi, '')
    }
    const subject = await textOf(args.subjectElement)
    const text = await textOf(args.contentElement)
    const transport = nodemailer.createTransport(config.transportConnectionString)
    await transport.sendMail({ from: args.fromAddress, to: args.toAddress, cc: args.ccAddress || undefined, bcc: args.bccAddress || undefined, subject, text, html: text })
    transport.close()
    event.state.temp.success = true
  } catch (error) {
    ctx.bp.logger.error(`send_email failed: ${error.message}`)
    event.state.temp.success = false
  }
}

module.exports = {
  'basic-skills/send_email': sendEmail,
  'builtin/removeContext': removeContext,
  'basic-skills/call_api': callApi,
  'basic-skills/choice_parse_answer': choiceParse,
  'basic-skills/choice_invalid_answer': choiceInvalid,
  'builtin/setVariable': setVariable
}
