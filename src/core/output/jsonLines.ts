/** Parsed JSON text, or undefined when it is not JSON. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * A stdout line that is one JSON object (`jq -c`, python `json.dumps`), parsed; anything else
 * (plain text, arrays, numbers, broken JSON) is undefined. Cheap to reject: most lines are not.
 */
export function jsonObjectLine(line: string): object | undefined {
  if (line.charCodeAt(0) !== 123 /* { */ || !line.trimEnd().endsWith('}')) return undefined;
  const parsed = parseJson(line);
  if (!parsed || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return undefined;
  return parsed.value;
}
