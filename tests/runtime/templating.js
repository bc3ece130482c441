'use strict'
// Botpress's templating: Mustache 3, up to 3 passes while `{{ ... }}` remains.
const _ = require('lodash')
const Mustache = require('mustache')

const MAX_PASSES = 3

function containsTemplate(value) {
  return _.isString(value) && value.indexOf('{{') < value.indexOf('}}')
}

function renderTemplate(template, context) {
  let i = 0
  while (i < MAX_PASSES && containsTemplate(template)) {
    template = Mustache.render(template, context)
    i++
  }
  return template
}

function renderRecursive(item, context) {
  if (_.isArray(item)) return _.map(item, value => renderRecursive(value, context))
  if (item !== null && typeof item === 'object') return _.mapValues(item, value => renderRecursive(value, context))
  if (typeof item === 'string') return renderTemplate(item, context)
  return item
}

module.exports = { renderTemplate, renderRecursive }
