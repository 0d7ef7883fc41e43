import type { ManagedProcess } from '../../tools/local-stack';

/** Resolves with the first stdout line of `proc` that contains `text`; rejects if it exits or time runs out. */
export function lineContaining(proc: ManagedProcess, text: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolveLine, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes(text));
      if (line !== undefined) {
        done();
        resolveLine(line);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no line containing "${text}" from ${proc.name} in ${timeoutMs} ms; see ${proc.logFile}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      proc.child.stdout?.off('data', onData);
    };
    proc.child.stdout?.on('data', onData);
    void proc.exited.then((code) => {
      done();
      reject(new Error(`${proc.name} exited (${code}) before printing "${text}"; see ${proc.logFile}`));
    });
  });
}

/** SIGKILL, no grace: the process gets no chance to finish, report or clean up. */
export async function killHard(proc: ManagedProcess): Promise<void> {
  try {
    process.kill(proc.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  await proc.exited;
}
