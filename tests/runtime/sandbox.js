'use strict'
// Runs one action file the way Botpress 12.22.1's ActionService does:
// NodeVM, wrapper 'none', 5 000 ms timeout, only Botpress's sandbox globals,
// EXPOSED_* environment only, and `require` through a mock Proxy that resolves
// every module name on access (vm2 3.9.2 honours that; later 3.9.x do not).
const fs = require('fs')
const path = require('path')
const util = require('util')
const Module = require('module')
const { NodeVM, VMScript } = require('vm2')

// Packages of Botpress 12.22.1's own package.json that this runtime installs
// (package.json beside this file pins the versions of its yarn.lock).
const BOTPRESS_CORE = ['axios', 'bluebird', 'doctrine', 'lodash', 'moment', 'mustache', 'vm2']
const SAFE_ENV = ['TZ', 'LANG', 'LC_ALL', 'LC_CTYPE', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']
const PROCESS_KEYS = ['HOST', 'PORT', 'EXTERNAL_URL', 'PROXY', 'ROOT_PATH']

function sandboxProcess(hostEnv, processInfo) {
  const env = {}
  Object.keys(hostEnv || {}).forEach(name => {
    if (name.startsWith('EXPOSED_') || SAFE_ENV.includes(name)) env[name] = hostEnv[name]
  })
  const proc = { env }
  PROCESS_KEYS.forEach(key => {
    if (processInfo && processInfo[key] !== undefined) proc[key] = processInfo[key]
  })
  return proc
}

// Botpress looks in the action's folder (and node_modules folders above it, up to
// the data folder), then data/shared_libs, then falls back to its own dependencies.
function lookupDirs(actionFile, dataDir) {
  const dirs = []
  let dir = path.dirname(actionFile)
  const stop = dataDir ? path.resolve(dataDir) : path.parse(dir).root
  while (true) {
    dirs.push(path.join(dir, 'node_modules'), dir)
    if (path.resolve(dir) === stop || path.dirname(dir) === dir) break
    dir = path.dirname(dir)
  }
  if (dataDir) dirs.push(path.join(dataDir, 'shared_libs', 'node_modules'), path.join(dataDir, 'shared_libs'))
  return dirs
}

function makeRequire(actionFile, dataDir) {
  const dirs = lookupDirs(actionFile, dataDir)
  return name => {
    if (Module.builtinModules.includes(name)) return require(name)
    for (const dir of dirs) {
      const candidate = path.join(dir, name)
      if (fs.existsSync(path.join(candidate, 'package.json')) || fs.existsSync(candidate + '.js') || fs.existsSync(candidate)) {
        try {
          return require(require.resolve(candidate))
        } catch (err) {
          if (err.code !== 'MODULE_NOT_FOUND') throw new Error(`Error while loading module "${name}": ${err}`)
        }
      }
    }
    if (BOTPRESS_CORE.includes(name.split('/')[0])) return require(name)
    throw new Error(`Module "${name}" not found. Tried these locations: "${dirs.join(', ')}"`)
  }
}

// A fixed "now" for tests of business hours: Date inside this sandbox only (the host's
// clock, timeouts included, is untouched) answers `now` for new Date() and Date.now();
// every other use of Date is the real one. Botpress itself has no such option.
const FIXED_CLOCK = `
const RealDate = Date
function FixedDate(...args) {
  if (!new.target) return new RealDate(NOW).toString()
  return args.length ? new RealDate(...args) : new RealDate(NOW)
}
FixedDate.prototype = RealDate.prototype
FixedDate.now = () => NOW
FixedDate.parse = RealDate.parse
FixedDate.UTC = RealDate.UTC
Date = FixedDate
`

function fixClock(vm, now) {
  const at = typeof now === 'number' ? now : Date.parse(now)
  if (Number.isNaN(at)) throw new Error(`the fixed clock needs an ISO date or milliseconds, not ${now}`)
  vm.run(`const NOW = ${at}\n${FIXED_CLOCK}`)
}

function printObject(obj) {
  return util.inspect(obj, { depth: 3 })
}

// One action run. `ctx` carries bp, the host environment and process values.
async function runActionFile(ctx, file, args, event) {
  const code = fs.readFileSync(file, 'utf8')
  const state = event.state
  const sandbox = {
    args,
    printObject,
    process: sandboxProcess(ctx.env, ctx.processInfo),
    event,
    user: state.user || {},
    session: state.session || {},
    temp: state.temp || {},
    bot: state.bot || {},
    workflow: state.workflow || {},
    bp: ctx.bp
  }
  const modRequire = makeRequire(file, ctx.dataDir)
  const mock = new Proxy({}, { get: (_obj, prop) => modRequire(prop) })
  const vm = new NodeVM({ wrapper: 'none', sandbox, require: { external: true, mock }, timeout: 5000 })
  if (ctx.now != null) fixClock(vm, ctx.now)
  const started = Date.now()
  const record = { file, args, error: null, durationMs: 0 }
  try {
    const value = vm.run(new VMScript(code, { filename: file }))
    if (value && typeof value.then === 'function') await value
  } catch (err) {
    record.error = { message: String((err && err.message) || err), name: err && err.name }
  }
  record.durationMs = Date.now() - started
  return record
}

module.exports = { runActionFile, sandboxProcess, makeRequire, BOTPRESS_CORE }
