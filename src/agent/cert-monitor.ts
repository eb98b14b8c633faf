/**
 * The agent's certificate care, one periodic round (60 s by default): with auto-renew, renew
 * the control-plane certificates past 2/3 of their lifetime (through the injected renewer, the
 * code `certs renew` uses; it restarts the affected static pods by their manifests); then read
 * every certificate's expiry for `/metrics`, and send one Warning Event on the Node per
 * certificate (and notAfter) expiring within 30 days. Events wait for the API connection.
 */
import type { Host } from '../host/index.js';
import { PKI_DIR } from '../host/index.js';
import { certificateExpirations, kubeconfigClientCertificate, type ExpirationReport } from '../kubeconfig/index.js';
import type { Logger } from '../log.js';
import { certificateValidity, type CertificateInfo } from '../pki/index.js';
import type { ApiConnection } from './api-connection.js';
import { certificateLifetimeMs, expirationMetricsText, expiryEvent, pendingExpiryWarnings, renewalDue, EXPIRY_WARNING_MS } from './cert-expiry.js';
import type { Component } from './component-manager.js';
import { PeriodicComponent } from './periodic.js';
import type { Unsubscribe } from './listeners.js';

export interface RenewalRequest {
  host: Host;
  certDir: string;
  due: (existing: CertificateInfo, now: Date) => boolean;
  validityMs: (existing: CertificateInfo) => number;
}

export interface RenewalOutcome {
  renewed: { name: string }[];
  externallyManaged: string[];
  restart: { pods: string[] };
}

/** Renews what `due` selects (commands/certs-renew.ts's renewDueCertificates). */
export type CertificateRenewer = (request: RenewalRequest) => Promise<RenewalOutcome>;

export interface CertificateMonitorOptions {
  host: Host;
  nodeName: string;
  log: Logger;
  connection?: ApiConnection;
  /** The agent's kubeconfig (kubelet.conf): its embedded client certificate is reported when kubelet-client-current.pem is absent. */
  kubeconfigPath?: string;
  /** Logical certificates dir (/etc/kubernetes/pki). */
  certificatesDir?: string;
  /** How often to check (60 s). */
  intervalMs?: number;
  warnWithinMs?: number;
  /** Auto-renew: absent means off. */
  renew?: CertificateRenewer;
  /** Called after certificates were renewed (the agent re-scans its manifests). */
  onRenewed?: () => void;
}

export class CertificateMonitor extends PeriodicComponent implements Component {
  readonly name = 'certificate-monitor';
  private metrics = '';
  private readonly sent = new Set<string>();
  private readonly reportedExternal = new Set<string>();

  constructor(private readonly options: CertificateMonitorOptions) {
    super({ name: 'certificate check', intervalMs: options.intervalMs ?? 60_000, retryBaseMs: 1000, retryMaxMs: options.intervalMs ?? 60_000, log: options.log });
  }

  /** The latest Prometheus text ('' before the first round). */
  metricsText(): string {
    return this.metrics;
  }

  /** Checks again now (e.g. after a renewal outside the agent). */
  refresh(): void {
    this.loop.trigger();
  }

  protected override wire(): Unsubscribe[] {
    return this.options.connection ? [this.options.connection.onConnected(() => this.loop.trigger())] : [];
  }

  protected async sync(signal: AbortSignal): Promise<void> {
    const { host } = this.options;
    const certDir = this.options.certificatesDir ?? PKI_DIR;
    if (this.options.renew) await this.autoRenew(certDir);
    const report = await certificateExpirations(host.files, certDir);
    await this.addEmbeddedKubeletCert(report);
    const now = host.clock.now();
    this.metrics = expirationMetricsText(report, now);
    await this.warn(pendingExpiryWarnings(report, now, this.sent, this.options.warnWithinMs ?? EXPIRY_WARNING_MS), now, signal);
  }

  /** Before its first rotation the agent's identity is the certificate init embedded in kubelet.conf. */
  private async addEmbeddedKubeletCert(report: ExpirationReport): Promise<void> {
    const { host, kubeconfigPath } = this.options;
    if (!kubeconfigPath || report.certificates.some((c) => c.name === 'kubelet-client-current.pem')) return;
    const text = await host.files.tryReadFile(kubeconfigPath);
    if (!text) return;
    let notAfter: Date;
    try {
      notAfter = certificateValidity(await kubeconfigClientCertificate(host.files, kubeconfigPath, text.toString())).notAfter;
    } catch {
      return; // a token, or a file the client certificate rotation reports on
    }
    const ca = report.certificateAuthorities.find((c) => c.name === 'ca');
    report.certificates.push({ name: 'kubelet.conf', file: host.files.resolve(kubeconfigPath), caName: 'ca', notAfter, externallyManaged: ca?.externallyManaged ?? true, missing: false });
  }

  private async autoRenew(certDir: string): Promise<void> {
    const { host, log } = this.options;
    const outcome = await this.options.renew!({ host, certDir, due: (cert, now) => renewalDue(cert, now), validityMs: certificateLifetimeMs });
    for (const name of outcome.externallyManaged) {
      if (this.reportedExternal.has(name)) continue;
      this.reportedExternal.add(name);
      log.info(`agent: auto-renew: skipping ${name}: it is externally managed (its CA key is absent)`);
    }
    if (outcome.renewed.length === 0) return;
    const pods = outcome.restart.pods.length ? `; restarting ${outcome.restart.pods.join(', ')}` : '';
    log.info(`agent: auto-renew: renewed ${outcome.renewed.map((r) => r.name).join(', ')} (past 2/3 of their lifetime)${pods}`);
    this.options.onRenewed?.();
  }

  private async warn(warnings: ReturnType<typeof pendingExpiryWarnings>, now: Date, signal: AbortSignal): Promise<void> {
    const client = this.options.connection?.client(signal);
    if (!client || warnings.length === 0) return;
    for (const [seq, warning] of warnings.entries()) {
      const event = expiryEvent(this.options.nodeName, warning, now, seq);
      await client.create({ version: 'v1', resource: 'events', namespace: event.metadata.namespace }, event);
      this.sent.add(warning.key);
      this.options.log.warn(`agent: ${event.message}`);
    }
  }
}
