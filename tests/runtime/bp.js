'use strict'
// The `bp` SDK object actions receive, with Botpress's semantics for the calls
// hitl-gen's actions and the built-in skills use.
const fs = require('fs')
const path = require('path')
const _ = require('lodash')
const { renderTemplate, renderRecursive } = require('./templating')

function versionBelow(version, other) {
  const a = version.split('.').map(Number)
  const b = other.split('.').map(Number)
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i]
  return false
}

// Form fields carry a language suffix (`text$en`); pick the user's, else the default.
function translate(formData, lang, defaultLang) {
  const out = {}
  Object.keys(formData).forEach(key => {
    const m = key.match(/^(.+)\$([a-z]{2})$/)
    if (!m) out[key] = formData[key]
  })
  const keys = _.uniq(Object.keys(formData).map(key => key.replace(/\$[a-z]{2}$/, '')))
  keys.forEach(key => {
    const value = formData[`${key}$${lang}`] !== undefined ? formData[`${key}$${lang}`] : formData[`${key}$${defaultLang}`]
    if (value !== undefined) out[key] = value
  })
  return out
}

function renderContent(type, data) {
  const typing = data.typing ? [{ type: 'typing', value: data.typing }] : []
  if (type === 'builtin_single-choice') {
    return typing.concat([{
      type: 'custom', module: 'channel-web', component: 'QuickReplies',
      quick_replies: (data.choices || []).map(c => ({ title: c.title, payload: c.value })),
      disableFreeText: data.disableFreeText,
      wrapped: { type: 'text', text: data.text, markdown: data.markdown }
    }])
  }
  if (type === 'builtin_text') return typing.concat([{ type: 'text', text: data.text, markdown: data.markdown }])
  throw new Error(`the test runtime cannot render content type "${type}"`)
}

// Botpress's file service (BPFS) over the data folder, as on file storage: a missing
// file is an error, as it is there.
function ghostScope(ctx, ...parts) {
  return {
    readFileAsString: async (folder, file) => {
      if (!ctx.dataDir) throw new Error('the test runtime was given no dataDir to read files from')
      return fs.readFileSync(path.join(ctx.dataDir, ...parts, folder, file), 'utf8')
    }
  }
}

function tableQuery(ctx, table) {
  const rows = ((ctx.tables = ctx.tables || {})[table] = ctx.tables[table] || [])
  let filter = () => true
  const query = {
    where: conditions => { filter = row => _.isMatch(row, conditions); return query },
    select: async (...columns) => rows.filter(filter).map(row => _.pick(row, columns)),
    update: async values => { const hit = rows.filter(filter); hit.forEach(row => Object.assign(row, values)); return hit.length }
  }
  return query
}

function createBp(ctx) {
  const logs = ctx.logs
  const logger = {}
  ;['debug', 'info', 'warn', 'error'].forEach(level => {
    logger[level] = (...parts) => logs.push({ level, message: parts.map(p => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ') })
  })
  logger.attachError = () => logger
  logger.forBot = () => logger

  const bp = {
    logger,
    http: {
      getAxiosConfigForBot: async (botId, options) => ({
        baseURL: `${(options && options.localUrl) ? ctx.api.localUrl : ctx.api.externalUrl || ctx.api.localUrl}/api/v1/bots/${botId}`,
        headers: { Authorization: `Bearer ${ctx.api.token}` }
      })
    },
    users: {
      getAttributes: async (channel, target) => _.cloneDeep(ctx.userStore[`${channel}::${target}`] || {}),
      setAttributes: async (channel, target, attributes) => { ctx.userStore[`${channel}::${target}`] = _.cloneDeep(attributes) },
      updateAttributes: async (channel, target, attributes) => {
        const key = `${channel}::${target}`
        ctx.userStore[key] = Object.assign({}, ctx.userStore[key], _.cloneDeep(attributes))
      }
    },
    events: {
      replyToEvent: async (destination, payloads) => {
        ;(Array.isArray(payloads) ? payloads : [payloads]).forEach(payload => {
          ctx.messages.push(Object.assign({ to: _.pick(destination, ['channel', 'target', 'threadId']) }, _.cloneDeep(payload)))
        })
      }
    },
    cms: {
      renderTemplate: (item, context) => renderRecursive(item, context),
      getContentElement: async (botId, id) => ctx.contentElements[id] || null,
      renderElement: async (contentId, args, destination) => {
        contentId = contentId.replace(/^#?/, '')
        const lang = _.get(args, 'event.state.user.language') || ctx.defaultLanguage
        if (contentId.startsWith('!')) {
          const element = ctx.contentElements[contentId.slice(1)]
          if (!element) throw new Error(`Content element "${contentId}" not found`)
          const formData = renderRecursive(translate(element.formData, lang, ctx.defaultLanguage), args)
          if (formData.text) formData.text = renderTemplate(formData.text, args)
          return renderContent(element.contentType, Object.assign({}, args, formData))
        }
        const type = contentId.replace(/^@/, '')
        const data = Object.assign({}, args)
        if (data.text) data.text = renderTemplate(data.text, args)
        return renderContent(type, data)
      }
    },
    // The hitl module's table, as knex reaches it (rows in ctx.tables), and the realtime
    // payloads sent to the Studio's screens (ctx.realtime).
    database: table => tableQuery(ctx, table),
    realtime: { sendPayload: payload => { (ctx.realtime = ctx.realtime || []).push(_.cloneDeep(payload)) } },
    RealTimePayload: { forAdmins: (eventName, payload) => ({ eventName, payload }) },
    ghost: {
      forBot: botId => ghostScope(ctx, 'bots', botId),
      forGlobal: () => ghostScope(ctx, 'global')
    },
    config: {
      getModuleConfigForBot: async module => _.cloneDeep((ctx.moduleConfig || {})[module] || {})
    }
  }
  // bp.notifications.create exists up to 12.21.x and is undefined from 12.22.0 on.
  if (versionBelow(ctx.botpress, '12.22.0')) {
    bp.notifications = { create: async (botId, notification) => { ctx.notifications.push(Object.assign({ botId }, notification)) } }
  }
  return bp
}

module.exports = { createBp, translate }
