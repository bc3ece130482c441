async function postWebhook(alert, vars) {
  const body = webhookBody(alert, vars)
  await axios.post(envValue(alert.urlEnv), body, { timeout: CONFIG.timeoutMs, headers: { 'Content-Type': 'application/json' } })
}
