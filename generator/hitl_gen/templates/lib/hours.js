// Business hours (the spec's `hours`). The time of day in their zone comes from the
// UTC offsets table made at build time (hitl_gen/hours.py), not from Intl: the Node 12
// that Botpress 12 runs has tz data from 2021 (it refuses Europe/Kyiv and still puts
// Mexico City on summer time).
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

function utcOffsetMinutes(now) {
  const table = CONFIG.hours.utcOffsets.map(entry => entry.split(' '))
  const current = table.filter(([from]) => Date.parse(from) <= now.getTime()).pop() || table[0]
  const [, sign, hh, mm] = /^([+-])(\d\d):(\d\d)$/.exec(current[1])
  return (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm))
}

// The wall clock in the hours' zone: its date (YYYY-MM-DD), weekday and minute of the day.
function localClock(now) {
  const local = new Date(now.getTime() + utcOffsetMinutes(now) * 60000)
  return { date: local.toISOString().slice(0, 10), day: WEEKDAYS[local.getUTCDay()], minute: local.getUTCHours() * 60 + local.getUTCMinutes() }
}

function clockMinutes(text) {
  const [hh, mm] = text.split(':')
  return Number(hh) * 60 + Number(mm)
}

// 'open' or 'closed' at `now`: a closed date closes the whole day; ranges include their
// start and exclude their end.
function hoursAt(now) {
  const rule = CONFIG.hours
  const clock = localClock(now)
  if (rule.closed.includes(clock.date) || rule.closed.includes(clock.date.slice(5))) return 'closed'
  const ranges = (rule.open[clock.day] || []).map(range => range.split('-').map(clockMinutes))
  return ranges.some(([from, to]) => clock.minute >= from && clock.minute < to) ? 'open' : 'closed'
}

// Decided once when the handoff starts and kept in temp, so the flow's decision, the
// alerts and the messages all say the same, even at the minute the desk closes.
function decideHours() {
  const state = hoursAt(new Date())
  temp[CONFIG.hoursKey] = state
  return state
}
