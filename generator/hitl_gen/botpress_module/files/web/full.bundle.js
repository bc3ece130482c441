// hitl-gen's Botpress module, Studio side (written by `hitl-gen module`): the form of
// the "Talk to an agent" skill. Plain JavaScript over the globals the Studio gives
// module views (window.React); the Studio loads this file and takes the component
// named after the skill from window.botpress['hitl-gen'].
;(function() {
  'use strict'
  var React = window.React
  var h = React.createElement
  var MODULE = 'hitl-gen'
  var TEXT_NAMES = {
    say: 'Handed over',
    on_failure: 'Not handed over',
    no_agent: 'No agent online',
    off_hours: 'Off hours',
    resume: 'Back with the bot',
    timeout: 'No agent in time'
  }
  var EXIT_NAMES = {
    handed: 'Handed over (after the agent)',
    no_agent_found: 'No agent online',
    timed_out: 'No agent in time',
    closed: 'Off hours',
    failed: 'Not handed over'
  }

  function TalkToAgent(props) {
    React.Component.call(this, props)
    var initial = (props.initialData && props.initialData.handoff) || ''
    var texts = (props.initialData && props.initialData.texts) || {}
    this.state = { handoffs: null, error: null, handoff: initial, texts: texts }
    this.choose = this.choose.bind(this)
  }
  TalkToAgent.prototype = Object.create(React.Component.prototype)
  TalkToAgent.prototype.constructor = TalkToAgent

  TalkToAgent.prototype.componentDidMount = function() {
    var self = this
    self.mounted = true
    self.report(self.state.handoff)
    self.props.bp.axios
      .get('/mod/' + MODULE + '/handoffs')
      .then(function(answer) {
        if (!self.mounted) {
          return
        }
        var handoffs = (answer.data && answer.data.handoffs) || []
        self.state.handoffs = handoffs // read by report() below, before React applies setState
        self.setState({ handoffs: handoffs })
        if (!self.state.handoff && handoffs.length === 1) {
          self.choose(handoffs[0].id)
        } else {
          self.report(self.state.handoff)
        }
      })
      .catch(function(err) {
        if (self.mounted) {
          self.setState({ handoffs: [], error: (err && err.message) || String(err) })
        }
      })
  }

  TalkToAgent.prototype.componentWillUnmount = function() {
    this.mounted = false
  }

  // The skill's data: the handoff, and what the listing says of it (its flow, the flag
  // its flow clears on entry, its exits, the texts it lets the builder change), which the
  // flow generator needs where it cannot read the bot (Botpress 12.31's Studio process);
  // and the builder's texts, per text and language (empty fields left out).
  TalkToAgent.prototype.report = function(handoff, texts) {
    var found = (this.state.handoffs || []).filter(function(x) {
      return x.id === handoff
    })[0]
    var data = found ? { handoff: found.id, flow: found.flow, flag: found.flag, exits: found.exits } : { handoff: handoff }
    if (found && found.textsAction) {
      data.textsAction = found.textsAction
      data.overridable = found.texts.map(function(text) {
        return text.key
      })
      data.languages = found.languages
      data.texts = filled(texts || this.state.texts, data.overridable, found.languages)
    }
    if (!found && this.props.initialData && this.props.initialData.handoff === handoff) {
      data = this.props.initialData
    }
    this.props.onDataChanged && this.props.onDataChanged(data)
    this.props.onValidChanged && this.props.onValidChanged(!!handoff && (!!found || data === this.props.initialData))
  }

  TalkToAgent.prototype.choose = function(handoff) {
    var texts = handoff === this.state.handoff ? this.state.texts : {}
    this.setState({ handoff: handoff, texts: texts })
    this.report(handoff, texts)
  }

  TalkToAgent.prototype.type = function(key, lang, value) {
    var texts = Object.assign({}, this.state.texts)
    texts[key] = Object.assign({}, texts[key])
    texts[key][lang] = value
    this.setState({ texts: texts })
    this.report(this.state.handoff, texts)
  }

  // The texts typed for the handoff's overridable texts in its languages, empty ones left out.
  function filled(texts, keys, languages) {
    var out = {}
    keys.forEach(function(key) {
      languages.forEach(function(lang) {
        var value = texts[key] && texts[key][lang]
        if (typeof value === 'string' && value.trim()) {
          out[key] = out[key] || {}
          out[key][lang] = value
        }
      })
    })
    return out
  }

  TalkToAgent.prototype.renderTexts = function(handoff) {
    var self = this
    var fields = []
    handoff.texts.forEach(function(text) {
      handoff.languages.forEach(function(lang) {
        var value = (self.state.texts[text.key] && self.state.texts[text.key][lang]) || ''
        fields.push(
          h(
            'label',
            { key: text.key + '-' + lang, className: 'bp3-label' },
            (TEXT_NAMES[text.key] || text.key) + ' (' + lang + ')',
            h('textarea', {
              className: 'bp3-input bp3-fill',
              name: 'text-' + text.key + '-' + lang,
              rows: 2,
              value: value,
              placeholder: text.said[lang] || '',
              onChange: function(e) {
                self.type(text.key, lang, e.target.value)
              }
            })
          )
        )
      })
    })
    return h(
      'div',
      { className: 'hitl-gen-texts' },
      h('p', null, 'Texts for this place in the flow (empty: the spec\u2019s text, shown greyed). Placeholders such as {{full_name}} work as in the spec.'),
      fields
    )
  }

  TalkToAgent.prototype.chosen = function() {
    var id = this.state.handoff
    return (this.state.handoffs || []).filter(function(x) {
      return x.id === id
    })[0]
  }

  TalkToAgent.prototype.renderDetails = function(handoff) {
    var lang = this.props.contentLang || this.props.defaultLanguage
    var rows = handoff.exits.map(function(exit) {
      var said = (handoff.says[exit] || {})[lang]
      return h(
        'li',
        { key: exit, 'data-exit': exit },
        h('strong', null, EXIT_NAMES[exit] || exit),
        said ? h('span', null, ': the user reads \u201c' + said + '\u201d') : null
      )
    })
    return h(
      'div',
      { className: 'hitl-gen-details' },
      h('p', null, 'Flow ' + handoff.flow + ' (' + handoff.module + '). Transitions of this node:'),
      h('ul', null, rows),
      handoff.textsAction
        ? this.renderTexts(handoff)
        : h('p', { className: 'bp3-text-muted' }, 'The texts come from the spec; change them there and build again.')
    )
  }

  TalkToAgent.prototype.render = function() {
    var self = this
    var handoffs = this.state.handoffs
    if (handoffs === null) {
      return h('div', { className: 'hitl-gen-skill' }, 'Loading the handoffs\u2026')
    }
    if (this.state.error || !handoffs.length) {
      return h(
        'div',
        { className: 'hitl-gen-skill bp3-callout bp3-intent-warning' },
        this.state.error
          ? 'Cannot list the handoffs: ' + this.state.error
          : 'This bot has no handoff yet. Install one with `hitl-gen build SPEC --into data/bots/<bot>` (or deploy), then open this form again.'
      )
    }
    var options = [h('option', { key: '', value: '' }, 'Choose a handoff\u2026')].concat(
      handoffs.map(function(x) {
        return h('option', { key: x.id, value: x.id }, x.id)
      })
    )
    var chosen = this.chosen()
    return h(
      'div',
      { className: 'hitl-gen-skill' },
      h(
        'label',
        { className: 'bp3-label' },
        'Handoff',
        h(
          'div',
          { className: 'bp3-html-select bp3-fill' },
          h(
            'select',
            {
              name: 'handoff',
              value: this.state.handoff,
              onChange: function(e) {
                self.choose(e.target.value)
              }
            },
            options
          )
        )
      ),
      chosen ? this.renderDetails(chosen) : null
    )
  }

  window.botpress = typeof window.botpress === 'object' && window.botpress ? window.botpress : {}
  window.botpress[MODULE] = { TalkToAgent: TalkToAgent, default: TalkToAgent }
})()
