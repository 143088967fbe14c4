/**
 * Hidden prompts for secrets (a mnemonic, a keystore password): the question on stderr, the answer
 * read from stdin without echo. On a terminal, readline's echo goes to a muted stream; from a pipe
 * (a script, a test) there is no echo and the answers are read line by line. One reader for the
 * whole process, so that lines a pipe delivered at once are kept for the next question.
 */
import { createInterface, type Interface } from "node:readline";
import { Writable } from "node:stream";

/** Asks for secrets; `close()` releases stdin so the process can end. */
export interface Prompter {
  /** The answer to `question`, typed without echo; throws when stdin ends first. */
  hidden(question: string): Promise<string>;
  close(): void;
}

/** The stdin prompter (questions on stderr). */
export function stdinPrompter(
  input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
  output: NodeJS.WritableStream = process.stderr,
): Prompter {
  let muted = false;
  const echo = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) output.write(chunk);
      callback();
    },
  });
  let rl: Interface | undefined;
  const lines: string[] = [];
  const waiters: ((line: string | undefined) => void)[] = [];
  let ended = false;
  const reader = (): Interface => {
    if (rl) return rl;
    rl = createInterface({ input, output: echo, terminal: Boolean(input.isTTY) });
    rl.on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    });
    rl.on("close", () => {
      ended = true;
      for (const waiter of waiters.splice(0)) waiter(undefined);
    });
    return rl;
  };
  return {
    async hidden(question: string): Promise<string> {
      reader();
      output.write(question);
      muted = true;
      const line =
        lines.length > 0
          ? lines.shift()
          : ended
            ? undefined
            : await new Promise<string | undefined>((resolve) => waiters.push(resolve));
      muted = false;
      output.write("\n");
      if (line === undefined) throw new Error("standard input ended before an answer was typed");
      return line;
    },
    close(): void {
      rl?.close();
    },
  };
}
