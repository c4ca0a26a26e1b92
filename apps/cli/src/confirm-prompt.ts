import { createInterface } from "node:readline/promises";

/**
 * Asks a yes/no question on the terminal (stdin a TTY); true only for "y" or "yes". The
 * question goes to `output` (stderr when stdout carries JSON). An ended input (Ctrl-D) is a no.
 */
export async function confirmOnTerminal(
  question: string,
  output: NodeJS.WritableStream,
): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const ended = new Promise<string>((resolve) => prompt.once("close", () => resolve("")));
    const answer = await Promise.race([prompt.question(`${question} [y/N] `), ended]);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}
