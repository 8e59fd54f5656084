/**
 * A quoted HCL string literal, for the credentials tfvars of any target: `\` `"` and control
 * characters escaped, and the template sequences `${` and `%{` doubled to `$${` and `%%{` so
 * they stay literal text.
 */
export function hclString(value: string): string {
  let out = '"'
  for (let i = 0; i < value.length; i++) {
    const char = value[i]
    const next = value[i + 1]
    if (char === '\\') out += '\\\\'
    else if (char === '"') out += '\\"'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if ((char === '$' || char === '%') && next === '{') out += char + char
    else if (char < ' ' || char === '\u007f') out += `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
    else out += char
  }

  return out + '"'
}
