/** Where a command writes: stdout (with back-pressure, so a long report never buffers in memory) and stderr. */
export interface Output {
  write(text: string): Promise<void>;
  error(text: string): void;
}

export function processOutput(): Output {
  return {
    write: (text) =>
      new Promise((resolve, reject) => {
        process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
      }),
    error: (text) => {
      process.stderr.write(text);
    },
  };
}

/** Collects what a command prints; for tests and for callers that embed the plugin. */
export function bufferOutput(): Output & { stdout: string; stderr: string } {
  const out = {
    stdout: '',
    stderr: '',
    write: async (text: string) => {
      out.stdout += text;
    },
    error: (text: string) => {
      out.stderr += text;
    },
  };
  return out;
}
