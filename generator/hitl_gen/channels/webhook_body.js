// Slack and Teams incoming webhooks both accept {"text": ...}; `json` adds fields.
function webhookBody(alert, vars) {
  const text = fill(pickText(alert.text), vars)
  if (alert.format !== 'json') return { text }
  return { text, user: { id: vars.user_id, name: vars.full_name }, channel: vars.channel, threadId: vars.thread_id, botId: vars.bot_id, link: vars.hitl_url }
}
