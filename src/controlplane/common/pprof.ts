/**
 * /debug/pprof, served by the API server, controller manager and scheduler when --profiling is
 * true (upstream's default; kubeforge's manifests pass false, CIS 1.2.15, 1.3.2, 1.4.1). Node has
 * no Go profiles, so kubeforge serves what maps: the index, `cmdline` (the arguments,
 * NUL-separated, as Go's) and `heap` (V8's heap statistics as text). With --profiling=false every
 * /debug/pprof path is a 404, as upstream, which installs no handler.
 */
import v8 from 'node:v8';

export interface PprofResponse {
  status: number;
  contentType: string;
  body: string;
}

const PROFILES: Record<string, () => PprofResponse> = {
  cmdline: () => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: process.argv.join('\u0000') }),
  heap: () => ({
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: Object.entries(v8.getHeapStatistics()).map(([name, value]) => `# ${name} = ${String(value)}`).join('\n') + '\n',
  }),
};

/** The response for `pathname` when it is a /debug/pprof path and profiling is on; undefined otherwise. */
export function pprofResponse(pathname: string, profiling: boolean): PprofResponse | undefined {
  if (!profiling || (pathname !== '/debug/pprof' && !pathname.startsWith('/debug/pprof/'))) return undefined;
  const name = pathname.slice('/debug/pprof/'.length);
  if (name === '') {
    const links = Object.keys(PROFILES).map((p) => `<a href="${p}?debug=1">${p}</a><br>`).join('\n');
    return { status: 200, contentType: 'text/html; charset=utf-8', body: `<html><head><title>/debug/pprof/</title></head><body>\n${links}\n</body></html>\n` };
  }
  const profile = PROFILES[name];
  return profile ? profile() : { status: 404, contentType: 'text/plain; charset=utf-8', body: 'Unknown profile\n' };
}
