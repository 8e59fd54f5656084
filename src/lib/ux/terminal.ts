/** Prompts are allowed only when a person can answer: stdin and stdout are TTYs and not `--non-interactive`. */
export function canPrompt(nonInteractive: boolean | undefined, streams = {stdin: process.stdin, stdout: process.stdout}): boolean {
  return !nonInteractive && Boolean(streams.stdin.isTTY) && Boolean(streams.stdout.isTTY)
}

/** Colour and animation only on a TTY and without NO_COLOR. */
export function fancyOutput(stream: NodeJS.WriteStream = process.stderr, environment: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in environment) && environment.TERM !== 'dumb'
}
