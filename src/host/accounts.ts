/**
 * The machine's user and group names (/etc/passwd, /etc/group of the real machine, never under
 * --root: file owners are the machine's ids), for reports that name owners as `stat -c %U:%G`.
 */
import { readFile } from 'node:fs/promises';

export interface Accounts {
  user(uid: number): string;
  group(gid: number): string;
  /** The uid of a user name, when the machine has it. */
  uidOf(name: string): number | undefined;
  /** The user running this process, as uid:gid (ownership a relocated root gets when run unprivileged). */
  readonly self: { uid: number; gid: number };
}

function idTable(text: string): Map<number, string> {
  const table = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !table.has(Number(id))) table.set(Number(id), name);
  }
  return table;
}

export async function readAccounts(): Promise<Accounts> {
  const [passwd, group] = await Promise.all(['/etc/passwd', '/etc/group'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const users = idTable(passwd ?? '');
  const groups = idTable(group ?? '');
  return {
    user: (uid) => users.get(uid) ?? String(uid),
    group: (gid) => groups.get(gid) ?? String(gid),
    uidOf: (name) => [...users].find(([, n]) => n === name)?.[0],
    self: { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  };
}
