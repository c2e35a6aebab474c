/**
 * Child processes in tests: starting a TypeScript entry point under Node, waiting for a line it
 * prints, killing it outright, and asking whether a pid is still alive.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { repoRoot } from '../../platform/paths.ts';

/** `node --import tsx <script>` from the repository root, stdout and stderr piped. */
export function spawnTsx(script: string, env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Resolves with the first stdout line matching `pattern` (its match); rejects when the process
 * exits first or the time is up, with what it printed.
 */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 60_000,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const finish = (error?: Error, match?: RegExpMatchArray) => {
      clearTimeout(timer);
      child.stdout?.off('data', onOut);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(match!);
    };
    const onOut = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        const match = line.match(pattern);
        if (match) return finish(undefined, match);
      }
    };
    const onErr = (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4_000);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`process exited (${signal ?? code}) before printing ${pattern}:\n${out}\n${err}`));
    const timer = setTimeout(
      () => finish(new Error(`no line ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** SIGKILL, resolved once the process has exited (at once if it already has). */
export function killNow(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Whether a process with this pid is running. A zombie — dead, but not yet reaped by whoever
 * inherited it (in a container, PID 1 may never reap) — counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}

/** Resolves true once the pid is gone, false if it is still alive after `timeoutMs`. */
export async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** The live child processes of `parentPid` with their command lines (Linux: read from /proc). */
export function childProcesses(parentPid: number): { pid: number; command: string }[] {
  const children: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": state, then the parent's pid.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== parentPid || state === 'Z') continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid: Number(entry), command });
    } catch {
      // Gone while we looked.
    }
  }
  return children;
}
