import embed from 'vega-embed';
import type { View } from 'vega';
import type { TopLevelSpec } from 'vega-lite';

/**
 * Draws vega-lite specs into elements with vega-embed, as the live view's page
 * does (SVG, no actions), redrawing a chart only when its spec changed.
 */
export class Charts {
  /** Rendered views by chart name; `views.loss.data('steps')` reads the loss curve back. */
  readonly views: Record<string, View> = {};
  private readonly drawn: Record<string, string> = {};

  async draw(name: string, element: HTMLElement, spec: TopLevelSpec | undefined): Promise<void> {
    const json = spec ? JSON.stringify(spec) : '';
    if (this.drawn[name] === json) return;
    this.drawn[name] = json;
    this.views[name]?.finalize();
    delete this.views[name];
    if (!spec) return element.replaceChildren();
    const { view } = await embed(element, spec, { actions: false, renderer: 'svg' });
    this.views[name] = view;
  }
}
