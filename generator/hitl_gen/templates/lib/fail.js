function fail(message) {
  temp.hitl_failed = true
  temp.hitl_error = message
  log.warn(`hitl-gen: ${message}`)
}
