import { SingleBar } from 'cli-progress';
import { metricText, type Hook, type HookSpec, type Logger } from '@clusterflow/core';
import type { RunResult } from '../report/results.js';

/** How a run shows its progress: the hooks that draw it and the logger its components write to. */
export interface RunDisplay {
  hooks: HookSpec[];
  logger: Logger;
  /** The run ended (ok, failed or interrupted): one closing line. */
  end(result: RunResult): void;
}

export interface DisplayOptions {
  /** Where to write; a progress bar only when it is a TTY. */
  stream: NodeJS.WriteStream;
  /** Plain mode: a line every this many steps (plus one per epoch). */
  logEvery: number;
}

/**
 * A progress bar on a terminal; elsewhere (CI logs, files, pipes) core's `progress`
 * hook writes plain lines. Either way every line carries the run's label.
 */
export function createDisplay(label: string, opts: DisplayOptions): RunDisplay {
  const line = (text: string) => opts.stream.write(`[${label}] ${text}\n`);
  if (opts.stream.isTTY) {
    const bar = new BarProgress(label, opts.stream);
    const logger = { info: (m: string) => bar.print(m), warn: (m: string) => bar.print(m) };
    return { hooks: [bar], logger, end: (r) => (bar.close(), line(endText(r))) };
  }
  return {
    hooks: [{ id: 'progress', options: { logEvery: opts.logEvery } }],
    logger: { info: line, warn: line },
    end: (r) => line(endText(r)),
  };
}

export function endText(r: RunResult): string {
  if (r.status === 'failed') return `FAILED: ${r.error}`;
  const metrics = metricText(r.metrics);
  if (r.status === 'interrupted')
    return `interrupted after ${r.epochsDone} of ${r.epochs} epochs (${r.wallSeconds.toFixed(1)} s)${metrics ? `: ${metrics}` : ''}`;
  return `done in ${r.wallSeconds.toFixed(1)} s on ${r.backend}, ${r.imagesPerSec.toFixed(0)} img/s: ${metrics}`;
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(4));

/** A cli-progress bar over all steps of the run, with ETA, loss and throughput; lines are printed above it. */
class BarProgress implements Hook {
  readonly id = 'progress-bar';
  private readonly bar: SingleBar;
  private active = false;
  private started = 0;
  private images = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | ETA {eta_formatted} | epoch {epoch} | loss {loss} | {ips} img/s`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
      clearOnComplete: false,
    });
  }

  onRunStart(): void {
    this.started = performance.now();
  }

  onStepEnd(ctx: Parameters<NonNullable<Hook['onStepEnd']>>[0]): void {
    this.images += ctx.config.train.batchSize;
    const payload = {
      epoch: `${ctx.epoch + 1}/${ctx.epochs}`,
      loss: fmt(ctx.loss.total),
      ips: (this.images / ((performance.now() - this.started) / 1000)).toFixed(0),
    };
    if (!this.active) {
      this.bar.start(ctx.epochs * ctx.stepsPerEpoch, ctx.step, payload);
      this.active = true;
    }
    this.bar.update(ctx.step, payload);
  }

  onEpochEnd(ctx: Parameters<NonNullable<Hook['onEpochEnd']>>[0]): void {
    const metrics = metricText(ctx.metrics);
    if (metrics) this.print(`epoch ${ctx.epoch + 1}: ${metrics}`);
  }

  /** A line above the bar: cli-progress redraws the bar at the next update. */
  print(text: string): void {
    this.close();
    this.stream.write(`[${this.label}] ${text}\n`);
  }

  close(): void {
    if (this.active) this.bar.stop();
    this.active = false;
  }
}
