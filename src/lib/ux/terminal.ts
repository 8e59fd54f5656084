/** Prompts are allowed only when a person can answer: stdin and stdout are TTYs and not `--non-interactive`. */
export function canPrompt(nonInteractive: boolean | undefined, streams = {stdin: process.stdin, stdout: process.stdout}): boolean {
  return !nonInteractive && Boolean(streams.stdin.isTTY) && Boolean(streams.stdout.isTTY)
}

/** Colour and animation only on a TTY and without NO_COLOR. */
export function fancyOutput(stream: NodeJS.WriteStream = process.stderr, environment: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in environment) && environment.TERM !== 'dumb'
}

/**
 * Text safe to print on a terminal: control characters (escape sequences from a remote
 * host's answers, stray newlines) become `?`, so a value can never move the cursor or
 * recolour the screen.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
