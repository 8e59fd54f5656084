import {ExitCode, HyopsError} from '../errors.js'

/**
 * Prompts, over @inquirer/prompts loaded only when a prompt is really shown (startup stays
 * fast). Prompts draw on stderr so that stdout stays clean for results. Ctrl-C at a prompt
 * is a HyopsError with exit 130.
 */
export interface PromptStreams {
  input?: NodeJS.ReadableStream
  output?: NodeJS.WritableStream
}

async function inquirer() {
  return import('@inquirer/prompts')
}

function context(streams: PromptStreams) {
  return {input: streams.input ?? process.stdin, output: streams.output ?? process.stderr, clearPromptOnDone: false}
}

async function cancellable<T>(ask: () => Promise<T>): Promise<T> {
  try {
    return await ask()
  } catch (error) {
    const name = (error as Error)?.name
    if (name === 'ExitPromptError' || name === 'AbortPromptError') throw new HyopsError(ExitCode.Cancelled, 'cancelled by the operator')
    throw error
  }
}

/** A yes/no question. */
export async function askConfirm(message: string, defaultValue: boolean, streams: PromptStreams = {}): Promise<boolean> {
  const {confirm} = await inquirer()
  return cancellable(() => confirm({default: defaultValue, message}, context(streams) as never))
}

/** A hidden answer (passwords). Empty answers are refused by the prompt itself. */
export async function askSecret(message: string, streams: PromptStreams = {}): Promise<string> {
  const {password} = await inquirer()
  return cancellable(() => password({mask: true, message, validate: (v: string) => v.length > 0 || 'an empty answer is not allowed'}, context(streams) as never))
}

/** A hidden answer asked twice; asks again until both match. */
export async function askNewSecret(message: string, streams: PromptStreams = {}): Promise<string> {
  for (;;) {
    const first = await askSecret(message, streams)
    const second = await askSecret('Repeat it', streams)
    if (first === second) return first
    ;(streams.output ?? process.stderr).write('The two entries differ; try again.\n')
  }
}

/** A line of text with a default. */
export async function askInput(message: string, defaultValue?: string, streams: PromptStreams = {}): Promise<string> {
  const {input} = await inquirer()
  return cancellable(() => input({default: defaultValue, message}, context(streams) as never))
}
