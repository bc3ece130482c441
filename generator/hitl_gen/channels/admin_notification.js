async function notifyAdmins(alert, vars) {
  if (!bp.notifications) {
    throw new Error(`bp.notifications does not exist in this Botpress (removed in ${alert.removedIn}); alert agents by email or webhook`)
  }
  const message = fill(pickText(alert.message), vars)
  await bp.notifications.create(event.botId, { message, level: alert.level, url: CONFIG.agentScreen.replace('{bot}', event.botId) })
}
