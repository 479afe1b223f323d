import { SingleBar } from 'cli-progress';
import type { TrainEvent } from '@clusterflow/core';
import type { RunResult } from './results.js';

/** Shows a run's progress; one per run. */
export interface Progress {
  event(e: TrainEvent): void;
  /** The run ended (ok or failed); the progress display is closed. */
  end(result: RunResult): void;
}

export interface ProgressOptions {
  /** Where to write; progress bars only when it is a TTY. */
  stream: NodeJS.WriteStream;
  /** Plain mode: a line every this many steps (plus one per epoch). */
  logEvery: number;
}

/** A progress bar when writing to a terminal, plain log lines otherwise (CI logs, files, pipes). */
export function createProgress(label: string, opts: ProgressOptions): Progress {
  return opts.stream.isTTY ? new BarProgress(label, opts.stream) : new LineProgress(label, opts.stream, opts.logEvery);
}

const fmt = (v: number | undefined, digits = 4) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));
const metricText = (m: Record<string, number>) =>
  Object.entries(m)
    .filter(([k]) => !k.includes('/'))
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');

export function endLine(label: string, r: RunResult): string {
  return r.status === 'ok'
    ? `[${label}] done in ${r.wallSeconds.toFixed(1)} s on ${r.backend}, ${r.imagesPerSec.toFixed(0)} img/s: ${metricText(r.metrics)}`
    : `[${label}] FAILED: ${r.error}`;
}

/** cli-progress bar over all steps of the run, with ETA, loss and throughput. */
class BarProgress implements Progress {
  private bar: SingleBar;
  private started = false;
  private epochs = 1;

  constructor(
    private label: string,
    private stream: NodeJS.WriteStream,
  ) {
    this.bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | ETA {eta_formatted} | epoch {epoch} | loss {loss} | {ips} img/s`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
      clearOnComplete: false,
    });
  }

  event(e: TrainEvent): void {
    if (e.type === 'run-start') {
      this.epochs = e.config.train.epochs;
      this.stream.write(`[${this.label}] ${e.backendSummary}; ${e.numSamples} samples, ${e.numClusters} clusters, ${e.numParameters} parameters\n`);
    } else if (e.type === 'step') {
      const total = this.epochs * e.stepsPerEpoch;
      const payload = { epoch: `${e.epoch + 1}/${this.epochs}`, loss: fmt(e.loss.total), ips: e.imagesPerSec.toFixed(0) };
      if (!this.started) {
        this.bar.start(total, e.step, payload);
        this.started = true;
      }
      this.bar.update(e.step + 1, payload);
    } else if (e.type === 'epoch-end' && Object.keys(e.metrics).length > 0) {
      // Printed above the bar: cli-progress redraws it on the next update.
      this.bar.stop();
      this.stream.write(`[${this.label}] epoch ${e.epoch + 1}: ${metricText(e.metrics)}\n`);
      this.started = false;
    } else if (e.type === 'warning') {
      if (this.started) this.bar.stop();
      this.started = false;
      this.stream.write(`[${this.label}] warning (epoch ${e.epoch + 1}): ${e.message}\n`);
    }
  }

  end(r: RunResult): void {
    if (this.started) this.bar.stop();
    this.stream.write(endLine(this.label, r) + '\n');
  }
}

/** One line every `logEvery` steps and one per epoch: readable in logs that are not terminals. */
class LineProgress implements Progress {
  private epochs = 1;
  private runStart = performance.now();

  constructor(
    private label: string,
    private stream: NodeJS.WritableStream,
    private logEvery: number,
  ) {}

  private line(text: string) {
    this.stream.write(`[${this.label}] ${text}\n`);
  }

  event(e: TrainEvent): void {
    switch (e.type) {
      case 'run-start':
        this.epochs = e.config.train.epochs;
        this.runStart = performance.now();
        this.line(`${e.backendSummary}; ${e.numSamples} samples, ${e.numClusters} clusters, ${e.numParameters} parameters`);
        break;
      case 'step': {
        const total = this.epochs * e.stepsPerEpoch;
        if ((e.step + 1) % this.logEvery !== 0 && e.step + 1 !== total) break;
        const elapsed = (performance.now() - this.runStart) / 1000;
        const eta = (elapsed / (e.step + 1)) * (total - e.step - 1);
        this.line(`epoch ${e.epoch + 1}/${this.epochs} step ${e.step + 1}/${total} loss ${fmt(e.loss.total)} ${e.imagesPerSec.toFixed(0)} img/s ETA ${eta.toFixed(0)} s`);
        break;
      }
      case 'epoch-end':
        this.line(`epoch ${e.epoch + 1}/${this.epochs} done in ${e.seconds.toFixed(1)} s, loss ${fmt(e.loss.total)}${Object.keys(e.metrics).length ? ', ' + metricText(e.metrics) : ''}`);
        break;
      case 'warning':
        this.line(`warning (epoch ${e.epoch + 1}): ${e.message}`);
        break;
      case 'checkpoint':
        this.line(`checkpoint ${e.path}`);
        break;
    }
  }

  end(r: RunResult): void {
    this.stream.write(endLine(this.label, r) + '\n');
  }
}
