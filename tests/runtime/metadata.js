'use strict'
// Action metadata exactly as Botpress's extractMetadata reads it: the first
// `/**` + newline block, parsed by doctrine 2.x with the same options.
const doctrine = require('doctrine')
const _ = require('lodash')

const JSDOC = /\/\*\*\s*\n([^\*]|(\*(?!\/)))*\*\//gi
const yn = value => /^(y|yes|true|1|on)$/i.test(String(value).trim())

function extractMetadata(code) {
  const match = code.match(JSDOC)
  const metadata = { title: '', category: '', description: '', author: '', hidden: false, params: [] }
  if (!match) return metadata
  const extracted = doctrine.parse(match[0], { recoverable: true, sloppy: true, unwrap: true, strict: false, preserveWhitespace: false })
  const tag = title => _.find(extracted.tags, { title })
  metadata.description = extracted.description
  ;['author', 'category', 'title'].forEach(name => {
    const found = tag(name)
    if (found) metadata[name] = found.description || ''
  })
  const hidden = tag('hidden')
  if (hidden) metadata.hidden = yn(hidden.description)
  metadata.params = _.filter(extracted.tags, { title: 'param' }).map(t => ({
    description: t.description || '',
    type: _.get(t, 'type.name', ''),
    default: _.get(t, 'default', ''),
    required: _.get(t, 'type.type') !== doctrine.type.Syntax.OptionalType,
    name: _.get(t, 'name', '')
  }))
  return metadata
}

module.exports = { extractMetadata }
