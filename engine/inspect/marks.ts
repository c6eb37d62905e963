/**
 * Positions a regular expression marks in a text: every character inside a match (the match's own
 * characters; an empty match marks nothing). Positions count code points, as the trace does, while
 * JavaScript's matches count UTF-16 units, so the two are mapped here.
 */

/** Compiles a pattern a person typed; one readable sentence when it is not a regular expression. */
export function compilePattern(pattern: string): RegExp {
  if (pattern === '') throw new RangeError('The pattern is empty: give a regular expression such as "[^"]*" (inside quotes).');
  try {
    return new RegExp(pattern, 'gu');
  } catch (error) {
    throw new RangeError(`"${pattern}" is not a regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}.`);
  }
}

/** (N) 1 where a match of `pattern` covers the code point, else 0. */
export function markPositions(text: string, pattern: string): Uint8Array {
  const re = compilePattern(pattern);
  // code point index of every UTF-16 offset (the offsets matches start and end at)
  const cpAt = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    cpAt[i] = cp;
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff || i + 1 >= text.length) cp++;
    else cpAt[++i] = cp++;
  }
  cpAt[text.length] = cp;
  const marks = new Uint8Array(cp);
  for (const m of text.matchAll(re)) {
    const start = cpAt[m.index];
    const end = cpAt[m.index + m[0].length];
    marks.fill(1, start, end);
  }
  return marks;
}
