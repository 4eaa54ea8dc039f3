/**
 * The week and ordinal forms, written here the other way round from the parser (from an instant to
 * the text), so that a shared mistake cannot hide: ISO week-numbering year and week by the Thursday
 * of the instant's week; ordinal day by counting from 1 January.
 */
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function isoForms(instant: Date): Record<string, string> {
  const [y, mo, d] = [instant.getUTCFullYear(), instant.getUTCMonth() + 1, instant.getUTCDate()];
  const [h, mi, s, ms] = [instant.getUTCHours(), instant.getUTCMinutes(), instant.getUTCSeconds(), instant.getUTCMilliseconds()];
  const midnight = Date.UTC(y, mo - 1, d);
  const ordinal = Math.round((midnight - Date.UTC(y, 0, 1)) / 86_400_000) + 1;
  const weekday = ((instant.getUTCDay() + 6) % 7) + 1;
  const thursday = new Date(midnight + (4 - weekday) * 86_400_000);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor(Math.round((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / 86_400_000) / 7) + 1;
  const time = `${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}`;
  const basicTime = time.replace(/:/g, '');
  return {
    extended: `${y}-${pad(mo)}-${pad(d)}T${time}Z`,
    basic: `${y}${pad(mo)}${pad(d)}T${basicTime}Z`,
    week: `${weekYear}-W${pad(week)}-${weekday}T${time}Z`,
    weekBasic: `${weekYear}W${pad(week)}${weekday}T${basicTime}Z`,
    ordinal: `${y}-${pad(ordinal, 3)}T${time}Z`,
    ordinalBasic: `${y}${pad(ordinal, 3)}T${basicTime}Z`,
  };
}
