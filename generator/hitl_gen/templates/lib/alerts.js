// Every alert runs side by side and on its own: one failing does not stop the others.
// `kinds` (e.g. "email,admin_notification") limits them, for flows that send webhooks by skill.
async function alertAgents(vars, kinds) {
  const failures = []
  const wanted = kinds ? String(kinds).split(',').map(kind => kind.trim()) : null
  const alerts = CONFIG.alerts.filter(alert => !wanted || wanted.includes(alert.kind))
  await Promise.all(alerts.map(alert =>
    ALERT_SENDERS[alert.kind](alert, vars).catch(err => {
      const why = err && err.config ? explain(err, `the ${alert.kind} alert`) : `the ${alert.kind} alert failed: ${err.message || err}`
      failures.push(why)
      log.warn(`hitl-gen: ${why}`)
    })
  ))
  return failures
}
