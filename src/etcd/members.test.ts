import { describe, expect, it } from 'vitest';
import { initialClusterFor, memberTable, quorumOf, removalKeepsQuorum, type EtcdMemberStatus } from './members.js';

const member = (id: string, name: string, healthy = true, isLearner = false): EtcdMemberStatus => ({
  id, name, peerURLs: [`https://${name}:2380`], clientURLs: [`https://${name}:2379`], isLearner, started: name !== '', healthy, leader: false,
});

describe('etcd quorum rules', () => {
  it('needs a majority of the voting members', () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
  });

  it('lets a healthy 3-member cluster lose one member', () => {
    expect(removalKeepsQuorum([member('a', 'cp1'), member('b', 'cp2'), member('c', 'cp3')], 'c')).toMatchObject({ ok: true, healthyAfter: 2, needed: 2 });
  });

  it('refuses to remove a member when another is down: the 2 left would have 1 healthy of the 2 needed', () => {
    expect(removalKeepsQuorum([member('a', 'cp1', false), member('b', 'cp2'), member('c', 'cp3')], 'c')).toMatchObject({ ok: false, voters: 3, healthyAfter: 1, needed: 2 });
  });

  it('never counts a learner: removing one is always safe, and it does not make up a quorum', () => {
    const members = [member('a', 'cp1', false), member('b', 'cp2'), member('c', 'cp3'), member('d', 'cp4', true, true)];
    expect(removalKeepsQuorum(members, 'd').ok).toBe(true);
    expect(removalKeepsQuorum(members, 'c').ok).toBe(false);
  });
});

describe('initialClusterFor', () => {
  it('lists every started member and the joining one, skipping members that have not started', () => {
    const members = [member('a', 'cp1'), member('b', '')];
    expect(initialClusterFor(members, 'cp2', 'https://cp2:2380')).toEqual([
      { name: 'cp1', peerURL: 'https://cp1:2380' },
      { name: 'cp2', peerURL: 'https://cp2:2380' },
    ]);
  });

  it('refuses a name another member already has, naming the member', () => {
    expect(() => initialClusterFor([member('a1', 'cp1')], 'cp1', 'https://other:2380')).toThrow(
      expect.objectContaining({ code: 'KF_ETCD_MEMBER_EXISTS', exitCode: 3, message: expect.stringContaining('etcd already has a member named "cp1" (ID a1') }),
    );
  });

  it('accepts a re-run of the same node (same name and peer URL)', () => {
    expect(initialClusterFor([member('a', 'cp1'), member('b', 'cp2')], 'cp2', 'https://cp2:2380')).toHaveLength(2);
  });
});

it('renders the member table with health, leader and learner columns', () => {
  const [header, row] = memberTable([{ ...member('a', 'cp1'), leader: true }]);
  expect(header).toEqual(['ID', 'NAME', 'STATUS', 'HEALTH', 'LEADER', 'LEARNER', 'PEER ADDRS', 'CLIENT ADDRS']);
  expect(row).toEqual(['a', 'cp1', 'started', 'healthy', 'true', 'false', 'https://cp1:2380', 'https://cp1:2379']);
});
