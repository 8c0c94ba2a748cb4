/**
 * The controller's own conditions as occurrences (kind `Controller`, name the condition's type): a condition going
 * bad is a Warning with its reason, going back to normal is `Recovered`. Which status is bad: a condition named
 * for trouble (`PruneHeld`, `…Failed`, `…Stalled`, `…Degraded`) when True, every other (`ManifestsValid`, the git
 * source's `SourceReady`) when False (controller/state/conditions.ts `conditionIsBad`, which the status page
 * colours by too). Pure given the last known state per type, a handful of entries.
 */
import { conditionIsBad, type Condition } from '../state/conditions.js';
import { CONTROLLER_KIND, RECOVERED, type Occurrence } from './notification.js';

/** Controller conditions remembered at most (a handful exist). */
const MAX_TYPES = 64;

/** Whether a condition is bad: the rule of controller/state/conditions.ts. */
export const isBad = conditionIsBad;

export class ControllerConditionTracker {
  /** type → the reason it was bad with, or null when it was fine. */
  private readonly known = new Map<string, string | null>();

  constructor(private readonly host: string) {}

  seed(condition: Condition): void {
    this.remember(condition.type, isBad(condition) ? condition.reason : null);
  }

  update(condition: Condition): Occurrence | null {
    const before = this.known.get(condition.type) ?? null;
    const bad = isBad(condition);
    this.remember(condition.type, bad ? condition.reason : null);
    const subject = { kind: CONTROLLER_KIND, name: condition.type, host: this.host, time: condition.lastTransitionTime };
    if (bad && before === null) return { ...subject, type: 'Warning', reason: condition.reason, message: condition.message || condition.reason };
    if (!bad && before !== null) {
      return { ...subject, type: 'Normal', reason: RECOVERED, message: `${condition.type}: no longer ${before}`, resolves: true };
    }
    return null;
  }

  private remember(type: string, value: string | null): void {
    if (!this.known.has(type) && this.known.size >= MAX_TYPES) return;
    this.known.set(type, value);
  }
}
