/**
 * Where does a message of this facility and level end up? The seed asks an
 * administrator to read syslog.conf and work out where the common error
 * messages go; this answers it from the same rules the daemon runs: every
 * rule in order, whether it takes the message, and the discard ("~",
 * "stop") that ends the walk.
 */
import { facilityCode, severityCode } from '../protocol/pri.js';
import { describeAction, matches, type Rule } from './conf.js';

export interface RouteStep {
  /** file:line of the rule */
  at: string;
  /** the selector as written */
  selector: string;
  /** the action as written (passwords left out) */
  action: string;
  /** the rule takes the message */
  matched: boolean;
  /** a matching discard: no rule after it sees the message */
  stops: boolean;
}

export interface Route {
  facility: string;
  level: string;
  /** the actions that get the message, in order */
  actions: string[];
  /** the rule that stops it, if one does */
  stoppedBy?: string;
  steps: RouteStep[];
}

/** "mail.err", "local7.warning", "auth.*" is not one message: a level must be named. */
export function parsePriority(text: string): { facility: number; severity: number } | string {
  const dot = text.lastIndexOf('.');
  if (dot <= 0) return `'${text}' is not FACILITY.LEVEL (like mail.err)`;
  const facility = facilityCode(text.slice(0, dot).toLowerCase());
  const severity = severityCode(text.slice(dot + 1).toLowerCase());
  if (facility === undefined) return `unknown facility '${text.slice(0, dot)}'`;
  if (severity === undefined) return `unknown level '${text.slice(dot + 1)}'`;
  return { facility, severity };
}

export function route(rules: readonly Rule[], facility: number, severity: number, names: { facility: string; level: string }): Route {
  const steps: RouteStep[] = [];
  const actions: string[] = [];
  let stoppedBy: string | undefined;
  for (const r of rules) {
    const matched = stoppedBy === undefined && matches(r, facility, severity);
    const stops = matched && r.action.kind === 'discard';
    const action = describeAction(r.action);
    const at = r.line ? `${r.file}:${r.line}` : r.file;
    steps.push({ at, selector: r.selector ?? '', action, matched, stops });
    if (stops) stoppedBy = at;
    else if (matched) actions.push(action);
  }
  return { ...names, actions, stoppedBy, steps };
}

/** The answer as an administrator reads it. */
export function formatRoute(r: Route, verbose = false): string {
  const out = [`${r.facility}.${r.level}:`];
  for (const s of r.steps) {
    if (!verbose && !s.matched) continue;
    const what = s.stops ? 'stops here' : s.matched ? `-> ${s.action}` : 'not taken';
    out.push(`  ${s.at.padEnd(24)} ${s.selector.padEnd(40)} ${what}`);
  }
  if (!r.actions.length) out.push('  no action takes it: the message is lost');
  return `${out.join('\n')}\n`;
}
