// Renders an incident as a blameless post-mortem in Markdown. Fields the
// operator has not filled in yet (with `finhub incident update --root-cause …`)
// appear as TODO placeholders; the timeline and the response figures come from
// the incident itself.
import type { IncidentDetail } from './incidents.view.ts';
import { COMPONENT_NAMES, isComponent, POSTMORTEM_FIELDS, POSTMORTEM_TITLES, RESPONSE_TARGET_TEXT, type PostmortemField } from './model.ts';

const OPTION: Record<PostmortemField, string> = {
  summary: '--summary',
  impact: '--impact',
  root_cause: '--root-cause',
  trigger: '--trigger',
  resolution: '--resolution',
  detection: '--detection',
  action_items: '--action-items',
  lessons_learned: '--lessons-learned',
};

export function formatSeconds(s: number | null): string {
  if (s === null) return 'n/a';
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ') || `${s} s`;
}

// Table cells must not break the Markdown table.
const cell = (s: string) => s.replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');

export function renderPostmortem(i: IncidentDetail): string {
  const out: string[] = [];
  out.push(`# Post-mortem: ${i.ref} ${i.title}`, '');
  out.push(`| | |`, `|---|---|`);
  out.push(`| Severity | ${i.severity} (${RESPONSE_TARGET_TEXT[i.severity]}) |`);
  out.push(`| Status | ${i.status} |`);
  out.push(`| Components | ${i.components.length ? i.components.map((c) => (isComponent(c) ? COMPONENT_NAMES[c] : c)).join(', ') : 'none recorded'} |`);
  out.push(`| Source | ${i.source}${i.fingerprint ? ` (alert fingerprint \`${i.fingerprint}\`)` : ''} |`);
  out.push(`| Opened by | ${cell(i.created_by)} |`);
  out.push(`| Triggered | ${i.triggered_at.toISOString()} |`);
  out.push(`| Acknowledged | ${i.acknowledged_at ? i.acknowledged_at.toISOString() : 'not acknowledged'} |`);
  out.push(`| Resolved | ${i.resolved_at ? i.resolved_at.toISOString() : 'not resolved'} |`);
  out.push(`| Time to acknowledge (MTTA) | ${formatSeconds(i.mtta_seconds)}${i.ack_target_missed ? ' — response target missed' : ''} |`);
  out.push(`| Time to resolve (MTTR) | ${formatSeconds(i.mttr_seconds)} |`);
  out.push('');
  for (const f of POSTMORTEM_FIELDS) {
    out.push(`## ${POSTMORTEM_TITLES[f]}`, '');
    const v = i[f];
    out.push(v && v.trim() ? v.trim() : `TODO: fill in with \`finhub incident update ${i.ref} ${OPTION[f]} "…"\``, '');
  }
  out.push('## Timeline', '', '| Time (UTC) | Who | What |', '|---|---|---|');
  for (const e of i.timeline) {
    const what = e.kind === 'status' ? `**${e.status}**${e.message && e.message !== e.status ? ` — ${e.message}` : ''}` : e.message;
    out.push(`| ${e.at.toISOString()} | ${cell(e.actor)} | ${cell(what)} |`);
  }
  out.push('');
  return out.join('\n');
}
