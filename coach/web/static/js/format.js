// How numbers read on the page: durations, distances, and targets in the athlete's own
// units (pace per km, bpm, watts) with zone colours.

export const WORKOUT_TYPES = [
  "easy-run", "recovery-run", "long-run", "tempo", "threshold", "intervals", "hills",
  "fartlek", "progression", "race", "easy-ride", "recovery-ride", "long-ride", "sweet-spot",
  "vo2max", "endurance-swim", "technique-swim", "swim-intervals", "brick", "strength",
];

export const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

export function duration(seconds) {
  const s = Math.round(seconds || 0);
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  if (h && m === 60) return `${h + 1}h`;
  return h ? `${h}h${String(m).padStart(2, "0")}` : `${m} min`;
}

export function distance(meters) {
  if (!meters) return "";
  return meters >= 1000 ? `${(meters / 1000).toFixed(1)} km` : `${Math.round(meters)} m`;
}

export function pace(secondsPerKm) {
  const s = Math.round(secondsPerKm);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function range(low, high, show) {
  if (low == null && high == null) return "";
  if (low == null || high == null || low === high) return show(low ?? high);
  return `${show(low)}–${show(high)}`;
}

// A step's target as the athlete reads it; "" when there is none.
export function target(t, { withZone = true } = {}) {
  if (!t || t.type === "open") return "";
  const zone = t.zone && withZone ? `Z${t.zone}` : "";
  let numbers = "";
  if (t.type === "pace") numbers = range(t.high, t.low, pace) && `${range(t.high, t.low, pace)} /km`;
  else if (t.type === "heart_rate") numbers = range(t.low, t.high, Math.round) && `${range(t.low, t.high, Math.round)} bpm`;
  else if (t.type === "power") numbers = range(t.low, t.high, Math.round) && `${range(t.low, t.high, Math.round)} W`;
  else if (t.type === "speed") numbers = range(t.low, t.high, (v) => (v * 3.6).toFixed(1)) && `${range(t.low, t.high, (v) => (v * 3.6).toFixed(1))} km/h`;
  else if (t.type === "rpe") numbers = range(t.low, t.high, Math.round) && `RPE ${range(t.low, t.high, Math.round)}`;
  return [zone, numbers].filter(Boolean).join(" · ");
}

export function stepLength(step) {
  if (step.duration_type === "time") return duration(step.duration_value);
  if (step.duration_type === "distance_meters") return distance(step.duration_value);
  return "open";
}

// The zone a target stands for: its own, else one read from the step's intensity.
export function zoneOf(step) {
  if (step.target && step.target.zone) return step.target.zone;
  return { warmup: 1, cooldown: 1, recovery: 1, rest: 1, active: 2, interval: 4 }[step.intensity] || 2;
}

export function dateOf(startDate, week, day) {
  if (!startDate) return null;
  const d = new Date(`${startDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + (week - 1) * 7 + (day - 1));
  return d.toISOString().slice(0, 10);
}
