/**
 * Prompts are allowed only when a person can answer: `input` (stdin) and `output` are TTYs
 * and not `--non-interactive`. `output` is stdout by default (`hyops init`); `hyops vault`
 * passes stderr, where prompts draw, so that `$(hyops vault get KEY)` can still ask.
 */
export function canPrompt(
  nonInteractive: boolean | undefined,
  streams: {input: {isTTY?: boolean}; output: {isTTY?: boolean}} = {input: process.stdin, output: process.stdout},
): boolean {
  return !nonInteractive && Boolean(streams.input.isTTY) && Boolean(streams.output.isTTY)
}

/** Colour and animation only on a TTY and without NO_COLOR. */
export function fancyOutput(
  stream: NodeJS.WriteStream = process.stderr,
  environment: NodeJS.ProcessEnv = process.env,
): boolean {
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
