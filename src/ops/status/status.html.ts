// The public status page: one self-contained HTML document rendered from the
// same summary as /status.json. Every text is escaped.
import type { ComponentStatus, StatusSummary } from './status.service.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};
const COLOR: Record<string, string> = {
  operational: '#2e7d32', none: '#2e7d32',
  degraded_performance: '#f9a825', minor: '#f9a825',
  under_maintenance: '#1565c0',
  partial_outage: '#ef6c00', major: '#ef6c00',
  major_outage: '#c62828', critical: '#c62828',
};

const when = (iso: string) => `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC'))}</time>`;
const pct = (r: number) => `${(r * 100).toFixed(r >= 0.9995 || r <= -10 ? 1 : 2)}%`;

export function renderStatusHtml(s: StatusSummary): string {
  const banner = s.scheduled_maintenances.length && s.status.description === 'Service Under Maintenance' ? COLOR.under_maintenance : COLOR[s.status.indicator];
  const parts: string[] = [];
  parts.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="60">
<title>${esc(s.page.name)} status</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
.banner{color:#fff;padding:1rem 1.25rem;border-radius:6px;font-size:1.2rem;font-weight:600}
ul.components{list-style:none;padding:0;border:1px solid #ddd;border-radius:6px}
ul.components li{display:flex;justify-content:space-between;padding:.75rem 1rem;border-top:1px solid #eee}
ul.components li:first-child{border-top:none}
.status{font-weight:600}
section{margin-top:2rem} h2{font-size:1.1rem} .update{margin:.4rem 0 .4rem 1rem} small,time{color:#666}
</style></head><body>
<h1>${esc(s.page.name)}</h1>
<div class="banner" style="background:${banner}">${esc(s.status.description)}</div>`);
  for (const m of s.scheduled_maintenances) {
    parts.push(`<section class="maintenance"><h2>Maintenance in progress</h2><p>${esc(m.name)}</p><p><small>Since ${when(m.scheduled_for)}${m.scheduled_until ? `, expected to end ${when(m.scheduled_until)}` : ''}.</small></p></section>`);
  }
  for (const i of s.incidents) {
    parts.push(`<section class="incident"><h2>${esc(i.name)}</h2><p><small>Impact: ${esc(i.impact)}${i.components.length ? ` · Affects: ${i.components.map((c) => esc(c.name)).join(', ')}` : ''}</small></p>`);
    for (const u of i.incident_updates) parts.push(`<div class="update"><strong>${esc(u.status[0]!.toUpperCase() + u.status.slice(1))}</strong> — ${esc(u.body)} <small>${when(u.created_at)}</small></div>`);
    parts.push('</section>');
  }
  parts.push('<section><h2>Components</h2><ul class="components">');
  for (const c of s.components) parts.push(`<li><span>${esc(c.name)}</span><span class="status" style="color:${COLOR[c.status]}">${esc(LABEL[c.status])}</span></li>`);
  parts.push('</ul></section>');
  const b = s.error_budget;
  if (b) {
    parts.push(`<section><h2>Availability</h2><p>Objective ${pct(b.objective)} of requests without a server error (${esc(b.slo_window)} window). Error budget remaining: <strong>${pct(b.remaining_ratio)}</strong>, measured over ${b.total_requests} requests since this server started (${when(b.measured_since)}).</p></section>`);
  }
  parts.push(`<p><small>Updated ${when(s.page.updated_at)} · <a href="/status.json">status.json</a></small></p></body></html>`);
  return parts.join('\n');
}
