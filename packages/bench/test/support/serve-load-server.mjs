// The live view for serve-load.ts, in a process of its own: serves a folder on
// loopback and reports its memory and longest event-loop stall every 100 ms.
// Plain JavaScript, so that no TypeScript loader weighs on the memory measured.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startLiveView } from '@clusterflow/bench';

const live = await startLiveView({ root: process.argv[2], port: 0 });
process.stdout.write(`url ${live.url}\n`);
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
setInterval(() => {
  process.stdout.write(`rss ${process.memoryUsage().rss}\nloop ${delay.max / 1e6}\n`);
  delay.reset();
}, 100);
