import type { HookFactory } from '../hook.js';
import { checkpointHook } from './checkpoint.js';
import { collapseWarningHook } from './collapse-warning.js';
import { earlyStopHook } from './early-stop.js';
import { evaluateHook } from './evaluate.js';
import { preciseBnHook } from './precise-bn.js';
import { progressHook } from './progress.js';

export { checkpointHook, collapseWarningHook, earlyStopHook, evaluateHook, preciseBnHook, progressHook };
export { metricText } from './progress.js';

/** Core's hooks; evaluate, collapse-warning and checkpoint are in every run unless the config replaces them. */
export const BUILTIN_HOOKS: readonly HookFactory[] = [evaluateHook, collapseWarningHook, checkpointHook, earlyStopHook, progressHook, preciseBnHook];
