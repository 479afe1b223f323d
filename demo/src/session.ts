import { runTraining, type Registry, type RunConfig, type RunConfigInput, type TrainEvent } from '@clusterflow/core';
import { evaluationView } from './evaluation-view.js';
import { memoryProbe } from './memory-probe.js';
import type { PageState, StepRecord } from './page-state.js';

/**
 * The page's training runs, one at a time: `start` a run, `stop` it at the next
 * step boundary (its state goes to a checkpoint in IndexedDB), `resume` it from
 * there. Everything the run reports lands in `state`; `changed` is called after.
 */
export class Session {
  readonly state: PageState = { status: 'idle', runs: 0, steps: [], epochs: [], warnings: [] };
  private stopper?: AbortController;

  constructor(
    private readonly registry: Registry,
    private readonly changed: () => void,
  ) {}

  get busy(): boolean {
    return this.state.status === 'training' || this.state.status === 'stopping';
  }

  /** Trains `config` from scratch; resolves when the run has ended, whichever way. */
  async start(config: RunConfigInput): Promise<void> {
    Object.assign(this.state, { steps: [], epochs: [], warnings: [], evaluation: undefined, checkpoint: undefined, run: undefined });
    await this.train(config);
  }

  /**
   * Continues the last run from its latest checkpoint, exactly where it stopped;
   * `changes` may set what a resumed run may change (epochs, the backend).
   */
  async resume(changes: { epochs?: number; backend?: string } = {}): Promise<void> {
    const { run, checkpoint } = this.state;
    if (!run || !checkpoint) throw new Error('there is no stopped run to continue');
    const config: RunConfig = {
      ...run.config,
      ...(changes.backend ? { backend: changes.backend } : {}),
      train: { ...run.config.train, ...(changes.epochs ? { epochs: changes.epochs } : {}), resume: checkpoint },
    };
    await this.train(config);
  }

  /** Ends the run at the next step boundary; the checkpoint hook saves where it stood. */
  stop(): void {
    if (this.state.status !== 'training') return;
    this.state.status = 'stopping';
    this.stopper?.abort('stopped on the page');
    this.changed();
  }

  private async train(config: RunConfigInput | RunConfig): Promise<void> {
    if (this.busy) throw new Error('a run is in progress');
    const state = this.state;
    Object.assign(state, { status: 'training', error: undefined, runs: state.runs + 1 });
    this.stopper = new AbortController();
    this.changed();
    try {
      const summary = await runTraining(config, {
        registry: this.registry,
        stop: this.stopper.signal,
        hooks: [memoryProbe(() => state.steps), evaluationView((view) => ((state.evaluation = view), this.changed()))],
        onEvent: (e) => this.record(e),
      });
      state.status = summary?.end.kind === 'interrupted' ? 'stopped' : 'done';
    } catch (err) {
      state.status = 'failed';
      state.error = (err as Error).message;
      console.error(err);
    } finally {
      this.stopper = undefined;
      this.changed();
    }
  }

  private record(e: TrainEvent): void {
    const state = this.state;
    switch (e.type) {
      case 'run-start':
        state.run = { config: e.config, backend: e.backend, backendSummary: e.backendSummary, numSamples: e.numSamples, resumedFrom: e.resumedFrom };
        break;
      case 'step': {
        const record: StepRecord = { step: e.step, epoch: e.epoch, loss: e.loss, imagesPerSec: e.imagesPerSec };
        // A run continued from an earlier checkpoint logs those steps again: the later records win.
        while (state.steps.length > 0 && state.steps[state.steps.length - 1].step >= e.step) state.steps.pop();
        state.steps.push(record);
        break;
      }
      case 'epoch-end':
        state.epochs = [...state.epochs.filter((x) => x.epoch !== e.epoch), e];
        break;
      case 'warning':
        state.warnings.push({ epoch: e.epoch, message: e.message });
        break;
      case 'checkpoint':
        state.checkpoint = e.path;
        break;
      default:
        return;
    }
    this.changed();
  }
}
