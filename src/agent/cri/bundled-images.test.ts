import { describe, expect, it } from 'vitest';
import { checkImageArchive } from './image-archive.js';
import { BUNDLE_API_DIR, BUNDLE_APP, BUNDLE_NODE, bundledImage, bundledImageEntries, bundledImageId, bundleEnv, bundleMounts, buildBundledImageArchive, entryScript, libraryDirsFromLdd, xtablesDirCandidates, type BundleHostFacts } from './bundled-images.js';

const LDD = `\tlinux-vdso.so.1 (0x00007ffd)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f78)
\tlibstdc++.so.6 => /usr/lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f78)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f78)
`;

const COREDNS = bundledImage('registry.k8s.io/coredns/coredns:v1.11.3')!;
const KUBE_PROXY = bundledImage('registry.k8s.io/kube-proxy:v1.32.0')!;
const NFT = '/usr/sbin/xtables-nft-multi';
/** Debian's iptables: three names behind alternatives, one multi-call binary. */
const IPTABLES: Partial<BundleHostFacts> = {
  tools: { iptables: NFT, 'iptables-save': NFT, 'iptables-restore': NFT },
  toolLibraryDirs: ['/lib/x86_64-linux-gnu', '/lib64', '/usr/lib/nft'],
  xtablesDir: '/lib/x86_64-linux-gnu/xtables',
};

describe('bundled add-on images', () => {
  it('maps kubeadm\'s CoreDNS and kube-proxy images, from any registry, to bundled components', () => {
    expect(bundledImage('registry.k8s.io/coredns/coredns:v1.11.3')).toMatchObject({ component: 'coredns', program: '/coredns' });
    expect(bundledImage('registry.example:5000/mirror/coredns:v1.11.3')?.component).toBe('coredns');
    expect(bundledImage('registry.k8s.io/kube-proxy:v1.32.0')).toMatchObject({ component: 'kube-proxy', program: '/usr/local/bin/kube-proxy' });
    expect(bundledImage('docker.io/library/busybox:1.36')).toBeUndefined();
    expect(bundledImage('registry.k8s.io/etcd:3.5.16-0')).toBeUndefined();
  });

  it('gives the image upstream\'s entry points as node scripts that start the component with the container\'s arguments', () => {
    const entries = bundledImageEntries();
    const coredns = entries.find((e) => e.path === 'coredns');
    expect(coredns).toMatchObject({ type: 'file', mode: 0o755 });
    expect(Buffer.from((coredns as { content: Uint8Array }).content).toString()).toBe(entryScript('coredns'));
    expect(entryScript('coredns')).toBe(`#!${BUNDLE_NODE}\n// kubeforge's bundled coredns: \`kubeforge component coredns\` with this container's arguments.\nprocess.argv.splice(2, 0, 'component', "coredns");\nimport("${BUNDLE_APP}/bin/kubeforge.js");\n`);
    expect(entries.some((e) => e.path === 'usr/local/bin/kube-proxy')).toBe(true);
  });

  it('builds a valid OCI archive named as the pod asks, whose id does not depend on the name', async () => {
    const bundled = bundledImage('registry.k8s.io/coredns/coredns:v1.11.3')!;
    const archive = await buildBundledImageArchive('registry.k8s.io/coredns/coredns:v1.11.3', bundled);
    expect(await checkImageArchive(archive)).toEqual({ ok: true, format: 'oci', names: ['registry.k8s.io/coredns/coredns:v1.11.3'] });
    expect(await bundledImageId(bundled)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await bundledImageId(bundled)).not.toBe(await bundledImageId(bundledImage('kube-proxy:v1')!));
  });

  it('mounts the node binary, its library directories, kubeforge and the API socket read-only', () => {
    const dirs = libraryDirsFromLdd(LDD);
    expect(dirs).toEqual(['/lib/x86_64-linux-gnu', '/lib64', '/usr/lib/x86_64-linux-gnu']);
    const mounts = bundleMounts({ nodeBinary: '/usr/bin/node', libraryDirs: dirs, packageRoot: '/srv/kubeforge', nodeModulesLink: { target: '/work/main/node_modules', realPath: '/work/main/node_modules' }, apiSocketDir: '/r/run/kubeforge/api', ...IPTABLES }, COREDNS);
    expect(mounts).toEqual([
      { hostPath: '/usr/bin/node', containerPath: BUNDLE_NODE, readonly: true },
      { hostPath: '/lib/x86_64-linux-gnu', containerPath: '/lib/x86_64-linux-gnu', readonly: true },
      { hostPath: '/lib64', containerPath: '/lib64', readonly: true },
      { hostPath: '/usr/lib/x86_64-linux-gnu', containerPath: '/usr/lib/x86_64-linux-gnu', readonly: true },
      { hostPath: '/srv/kubeforge', containerPath: BUNDLE_APP, readonly: true },
      { hostPath: '/work/main/node_modules', containerPath: '/work/main/node_modules', readonly: true },
      { hostPath: '/r/run/kubeforge/api', containerPath: BUNDLE_API_DIR, readonly: true },
    ]);
  });

  it('resolves a relative node_modules link where the container sees it', () => {
    const mounts = bundleMounts({ nodeBinary: '/n', libraryDirs: [], packageRoot: '/w/dns', nodeModulesLink: { target: '../main/node_modules', realPath: '/w/main/node_modules' }, apiSocketDir: '/a' }, COREDNS);
    expect(mounts).toContainEqual({ hostPath: '/w/main/node_modules', containerPath: '/opt/kubeforge/main/node_modules', readonly: true });
  });

  it('gives kube-proxy the host\'s iptables under each name it runs, their extra libraries, and PATH/XTABLES_LIBDIR to find them', () => {
    const facts: BundleHostFacts = { nodeBinary: '/usr/bin/node', libraryDirs: ['/lib/x86_64-linux-gnu', '/lib64'], packageRoot: '/srv/kubeforge', apiSocketDir: '/a', ...IPTABLES };
    const mounts = bundleMounts(facts, KUBE_PROXY);
    expect(mounts.slice(-4)).toEqual([
      { hostPath: NFT, containerPath: '/usr/sbin/iptables', readonly: true },
      { hostPath: NFT, containerPath: '/usr/sbin/iptables-save', readonly: true },
      { hostPath: NFT, containerPath: '/usr/sbin/iptables-restore', readonly: true },
      { hostPath: '/usr/lib/nft', containerPath: '/usr/lib/nft', readonly: true },
    ]);
    // The extensions sit inside a mounted library directory: no mount of their own.
    expect(mounts.some((m) => m.containerPath.endsWith('/xtables'))).toBe(false);
    expect(bundleEnv(facts, KUBE_PROXY)).toEqual([
      { key: 'LD_LIBRARY_PATH', value: '/lib/x86_64-linux-gnu:/lib64:/usr/lib/nft' },
      { key: 'PATH', value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      { key: 'XTABLES_LIBDIR', value: '/lib/x86_64-linux-gnu/xtables' },
    ]);
    // Elsewhere (another distro's prefix) the extension directory is mounted where libxtables is told to look.
    expect(bundleMounts({ ...facts, xtablesDir: '/usr/libexec/xtables' }, KUBE_PROXY)).toContainEqual({ hostPath: '/usr/libexec/xtables', containerPath: '/usr/libexec/xtables', readonly: true });
    // CoreDNS runs no tools; a host without iptables gives kube-proxy none (it then fails with KF_PROXY_IPTABLES).
    expect(bundleMounts(facts, COREDNS).some((m) => m.containerPath.startsWith('/usr/sbin/'))).toBe(false);
    expect(bundleEnv(facts, COREDNS)).toEqual([{ key: 'LD_LIBRARY_PATH', value: '/lib/x86_64-linux-gnu:/lib64' }]);
    expect(bundleEnv({ ...facts, tools: {} }, KUBE_PROXY)).toHaveLength(1);
  });

  it('looks for iptables\' extensions at XTABLES_LIBDIR, next to libxtables, then at other distros\' prefixes', () => {
    const ldd = '\tlibxtables.so.12 => /lib/x86_64-linux-gnu/libxtables.so.12 (0x7f06)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x7f06)\n';
    expect(xtablesDirCandidates(ldd, {}).slice(0, 2)).toEqual(['/lib/x86_64-linux-gnu/xtables', '/usr/lib/xtables']);
    expect(xtablesDirCandidates(ldd, { XTABLES_LIBDIR: '/opt/xt' })[0]).toBe('/opt/xt');
    expect(xtablesDirCandidates('\tlibc.so.6 => /lib/libc.so.6 (0x1)\n', {})[0]).toBe('/usr/lib/xtables');
  });
});
