// The live view (`clusterflow serve`, `bench --serve`): a web page over a runs folder.
export { createLiveViewServer, startLiveView, DEFAULT_HOST, DEFAULT_PORT, type LiveView, type LiveViewOptions } from './server.js';
export { liveStatus, runInfo, RunsFolder, type LiveStatus, type RunFolder, type RunInfo } from './runs-folder.js';
export { linesFromResult, runView, type RunView } from './run-view.js';
export { MAX_STEPS, thin } from '@clusterflow/report';
