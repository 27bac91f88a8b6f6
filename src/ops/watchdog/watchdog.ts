// The in-process watchdog for installations without Prometheus: every
// interval it reads finhub's own metrics, evaluates the alerts of ops/slo.yaml
// (AlertEvaluator) and turns firing and resolved alerts into incidents (the
// same dedupe-by-fingerprint path as the Alertmanager webhook) and
// notifications. With several servers on one database each watches its own
// process; the incident dedupe keeps one incident per alert, and only the
// server that opened or closed it notifies.
import { hostname } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import type { AlertInput, IncidentsService } from '../incidents/incidents.service.ts';
import { componentsOf } from '../incidents/alertmanager.ts';
import { SYSTEM_ACTORS } from '../incidents/model.ts';
import type { AlertNotification } from '../notify/channels.ts';
import type { SloAlert, SloSpec } from '../slo/spec.ts';
import { renderTemplate } from '../slo/templates.ts';
import { AlertEvaluator, type AlertTransition, type EvaluatorOptions } from './evaluator.ts';
import { readSeries, type Series } from './series.ts';

export interface WatchdogLogger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

export interface WatchdogOptions {
  spec: SloSpec;
  registry: Registry;
  incidents: IncidentsService;
  /** Queues the notification on every configured channel. */
  notify: (n: AlertNotification) => Promise<unknown>;
  intervalMs: number;
  logger?: WatchdogLogger;
  /** Label `instance` on the watchdog's alerts (templates may use {{ $labels.instance }}); default the host name. */
  instance?: string;
  now?: () => number;
  evaluator?: EvaluatorOptions;
  /** Series source; default the registry (tests may inject). */
  read?: () => Promise<Series[]>;
}

/** `watchdog:<alertname>{severity="…"}`: the dedupe key of the watchdog's incidents. */
export const watchdogFingerprint = (a: SloAlert) => `watchdog:${a.name}{severity="${a.severity}"}`;

export class Watchdog {
  readonly evaluator: AlertEvaluator;
  readonly #o: WatchdogOptions;
  readonly #now: () => number;
  readonly #labels: (a: SloAlert) => Record<string, string>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(o: WatchdogOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.evaluator = new AlertEvaluator(o.spec, o.evaluator);
    const instance = o.instance ?? hostname();
    // The same labels the generated Prometheus rules put on the alert, plus the instance.
    this.#labels = (a) => ({
      alertname: a.name, severity: a.severity, incident_severity: a.incidentSeverity, service: o.spec.service, instance,
      ...(a.components.length ? { component: a.components.join(',') } : {}),
    });
    const firing = this.evaluator;
    new Gauge({
      name: 'finhub_watchdog_alerts_firing',
      help: 'Alerts of ops/slo.yaml the in-process watchdog has firing now (1 per firing severity), by alert name.',
      labelNames: ['alert'] as const,
      registers: [o.registry],
      collect() {
        this.reset();
        for (const a of firing.alerts) this.set({ alert: a.name }, 0);
        for (const a of firing.firing()) this.inc({ alert: a.name });
      },
    });
  }

  /** Alerts whose incident is still open (from before a restart) start as firing, so they resolve once clear. */
  async resume(): Promise<void> {
    const open = await this.#o.incidents.list({ open: true, limit: 200 });
    const now = this.#now();
    for (const i of open.items) {
      if (i.source !== 'watchdog' || !i.fingerprint) continue;
      const a = this.evaluator.alerts.find((x) => watchdogFingerprint(x) === i.fingerprint);
      if (!a) continue;
      this.evaluator.assumeFiring(a.key, now);
    }
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), this.#o.intervalMs);
    this.#timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One evaluation; never throws (a failed round is logged and the next one runs as usual). */
  tick(): Promise<void> {
    this.#running ??= this.#tick().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #tick(): Promise<void> {
    let transitions: AlertTransition[];
    try {
      const series = await (this.#o.read ?? (() => readSeries(this.#o.registry)))();
      transitions = this.evaluator.step(this.#now(), series);
    } catch (err) {
      this.#o.logger?.error({ err }, 'watchdog: evaluating the alerts failed');
      return;
    }
    // Like the Alertmanager example's inhibit rule: while the critical of an
    // alert fires, a warning of the same alert raises no incident and no
    // notification. Criticals are handled first so a warning and its critical
    // that fire in the same round are judged against each other.
    const rank = (tr: AlertTransition) => (tr.alert.severity === 'critical' ? 0 : 1);
    transitions = [...transitions].sort((x, y) => rank(x) - rank(y));
    const criticalFiring = new Set(this.evaluator.firing().filter((a) => a.severity === 'critical').map((a) => a.name));
    for (const tr of transitions) {
      if (tr.type === 'firing' && tr.alert.severity !== 'critical' && criticalFiring.has(tr.alert.name)) {
        this.#o.logger?.info({ alert: tr.alert.name, severity: tr.alert.severity }, 'watchdog: alert firing, inhibited by its critical');
        continue;
      }
      try {
        await this.#apply(tr);
      } catch (err) {
        this.#o.logger?.error({ err, alert: tr.alert.key, event: tr.type }, 'watchdog: recording the alert failed');
      }
    }
  }

  async #apply(tr: AlertTransition): Promise<void> {
    const a = tr.alert;
    const labels = this.#labels(a);
    const value = tr.value !== undefined && Number.isFinite(tr.value) ? tr.value : NaN;
    const summary = renderTemplate(a.summary, value, labels);
    const description = renderTemplate(a.description, value, labels);
    const fingerprint = watchdogFingerprint(a);
    let incident: AlertNotification['incident'] = null;
    let notify: boolean;
    if (tr.type === 'firing') {
      const input: AlertInput = {
        fingerprint,
        startsAt: new Date(tr.at),
        title: `${a.name}: ${summary}`,
        severity: a.incidentSeverity,
        components: componentsOf(labels),
        labels,
        message: `${description} — runbook: ${a.runbookUrl}`,
        // One digest per occurrence: the watchdog raises once, so there are no repeats to record.
        digest: `watchdog:${tr.at}`,
        source: 'watchdog',
      };
      const r = await this.#o.incidents.openFromAlert(SYSTEM_ACTORS.watchdog, input);
      notify = r.outcome === 'opened';
      if (r.incident) incident = { id: r.incident.id, ref: r.incident.ref, status: r.incident.status };
    } else {
      // One process raises each alert at most once at a time, so the open incident of the fingerprint is this occurrence's.
      const r = await this.#o.incidents.resolveFromAlert(SYSTEM_ACTORS.watchdog, { fingerprint, endsAt: new Date(tr.at), message: summary });
      notify = r.outcome === 'resolved';
      if (r.incident) incident = { id: r.incident.id, ref: r.incident.ref, status: r.incident.status };
    }
    this.#o.logger?.[tr.type === 'firing' ? 'warn' : 'info']({ alert: a.name, severity: a.severity, value: tr.value, incident: incident?.ref }, `watchdog: alert ${tr.type}`);
    if (!notify) return;
    await this.#o.notify({
      event: tr.type,
      service: this.#o.spec.service,
      at: new Date(tr.at).toISOString(),
      alert: { name: a.name, severity: a.severity, incident_severity: a.incidentSeverity, summary, description, runbook_url: a.runbookUrl, value: Number.isFinite(value) ? value : null, labels },
      incident,
    });
  }
}
