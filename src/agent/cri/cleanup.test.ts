import { describe, expect, it } from 'vitest';
import { iptablesCleanup, mountsUnder } from './cleanup.js';

const SAVE = `*nat
:POSTROUTING ACCEPT [0:0]
:CNI-47a3978be758a57d5bc954cb - [0:0]
:CNI-0f1e2d3c4b5a69788796a5b4 - [0:0]
-A POSTROUTING -s 10.244.1.2/32 -m comment --comment "name: \\"kubeforge-kf38c03a\\" id: \\"d39c\\"" -j CNI-47a3978be758a57d5bc954cb
-A CNI-47a3978be758a57d5bc954cb -d 10.244.1.0/24 -m comment --comment "name: \\"kubeforge-kf38c03a\\" id: \\"d39c\\"" -j ACCEPT
-A POSTROUTING -s 10.244.2.2/32 -m comment --comment "name: \\"kubeforge-kfaaaaaa\\" id: \\"e1\\"" -j CNI-0f1e2d3c4b5a69788796a5b4
COMMIT
`;

describe('reset of a node runtime', () => {
  it("deletes exactly the rules commented with the node's network name, then the CNI chains they jump to", () => {
    expect(iptablesCleanup(SAVE, 'nat', 'kubeforge-kf38c03a')).toEqual([
      ['-t', 'nat', '-D', 'POSTROUTING', '-s', '10.244.1.2/32', '-m', 'comment', '--comment', 'name: "kubeforge-kf38c03a" id: "d39c"', '-j', 'CNI-47a3978be758a57d5bc954cb'],
      ['-t', 'nat', '-D', 'CNI-47a3978be758a57d5bc954cb', '-d', '10.244.1.0/24', '-m', 'comment', '--comment', 'name: "kubeforge-kf38c03a" id: "d39c"', '-j', 'ACCEPT'],
      ['-t', 'nat', '-F', 'CNI-47a3978be758a57d5bc954cb'],
      ['-t', 'nat', '-X', 'CNI-47a3978be758a57d5bc954cb'],
    ]);
  });

  it('finds nothing of a network that made no rules', () => {
    expect(iptablesCleanup(SAVE, 'nat', 'kubeforge-kf000000')).toEqual([]);
  });

  it('unmounts only below the given directory, deepest first', () => {
    const mounts = ['overlay /r/run/a/b overlay rw 0 0', 'shm /r/run/a shm rw 0 0', 'proc /proc proc rw 0 0', 'x /r/runner x rw 0 0'].join('\n');
    expect(mountsUnder(mounts, '/r/run')).toEqual(['/r/run/a/b', '/r/run/a']);
  });
});
