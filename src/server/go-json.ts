// Renders a JSON syntax error the way Go's encoding/json words it, so Status messages read like
// kube-apiserver's ("invalid character 'x' looking for beginning of value").

export function goJsonError(text: string, err: Error): string {
  if (text.trim() === '') return 'unexpected end of JSON input';
  const m = /position (\d+)/.exec(err.message);
  if (/Unexpected end of JSON input|Unterminated/i.test(err.message)) return 'unexpected end of JSON input';
  if (m) {
    const pos = Number(m[1]);
    const ch = text[pos];
    if (ch === undefined) return 'unexpected end of JSON input';
    const before = text.slice(0, pos).trimEnd();
    const last = before[before.length - 1];
    if (last === '{' || last === ',') {
      if (ch === '}' && last === '{') return `invalid character '${ch}' after object key`;
      return `invalid character '${ch}' looking for beginning of object key string`;
    }
    if (last === ':' || last === '[' || before === '') return `invalid character '${ch}' looking for beginning of value`;
    return `invalid character '${ch}' after top-level value`;
  }
  return `invalid character looking for beginning of value`;
}
