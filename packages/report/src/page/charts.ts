import type { TopLevelSpec } from 'vega-lite';

/** What a drawn chart offers: its data sets by name (a test reads the loss curve back) and its teardown. */
export interface ChartView {
  data(name: string): unknown[];
  finalize(): void;
}

/**
 * vega-embed's default export, as far as these charts use it. It is given, not
 * imported: the live view loads vega-embed as a script of its own (a global) and
 * the demo bundles it, and both draw through this one class.
 */
export type Embed = (element: HTMLElement, spec: TopLevelSpec, options: { actions: false; renderer: 'svg' }) => Promise<{ view: ChartView }>;

/**
 * Draws vega-lite specs into elements with vega-embed (SVG, no actions),
 * redrawing a chart only when its spec changed: a page that redraws every second
 * keeps the charts whose data did not move.
 */
export class Charts {
  /** Rendered views by chart name; `views.loss.data('steps')` reads the loss curve back. */
  readonly views: Record<string, ChartView> = {};
  private readonly drawn: Record<string, string> = {};

  constructor(private readonly embed: Embed) {}

  /** Draws `spec` into `element` under `name`; no spec empties the element. */
  async draw(name: string, element: HTMLElement, spec: TopLevelSpec | undefined): Promise<void> {
    const json = spec ? JSON.stringify(spec) : '';
    if (this.drawn[name] === json) return;
    this.drawn[name] = json;
    this.views[name]?.finalize();
    delete this.views[name];
    if (!spec) return element.replaceChildren();
    const { view } = await this.embed(element, spec, { actions: false, renderer: 'svg' });
    this.views[name] = view;
  }

  /** Forgets every chart (another run is shown): each is drawn afresh. */
  clear(): void {
    for (const [name, view] of Object.entries(this.views)) {
      view.finalize();
      delete this.views[name];
    }
    for (const name of Object.keys(this.drawn)) delete this.drawn[name];
  }
}
