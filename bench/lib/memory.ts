import { streamDownload, streamUpload } from './clients.ts';
import type { Started } from './processes.ts';
import type { Verdict } from './scenarios.ts';
import { log, mb } from './stats.ts';

export interface StreamedPeaks {
  idleRss: number;
  downloadPeakRss: number;
  /** VmHWM after the download and then the upload: the peak of both. */
  peakRss: number;
  downloadSeconds: number;
  uploadSeconds: number;
}

export interface MemoryResult {
  toolproxy: StreamedPeaks;
  yardstick: StreamedPeaks;
}

type Fresh = () => Promise<Started<{ ready: true; port: number; token?: string }>>;

/**
 * A fresh server's idle RSS, then its peak RSS (VmHWM) while `bytes` stream down through it and
 * then up. `prefix` is where the server forwards from (`/proxy` for toolproxy).
 */
async function streamThrough(name: string, start: Fresh, prefix: string, bytes: number): Promise<StreamedPeaks> {
  const server = await start();
  try {
    // A second of quiet after start: what an idle server holds, not what start-up just allocated.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleRss = server.rss();
    const base = `http://127.0.0.1:${server.ready.port}${prefix}`;
    const token = server.ready.token ?? '';
    const down = await streamDownload(`${base}/bytes/${bytes}`, token, bytes);
    const downloadPeakRss = server.peakRss();
    const up = await streamUpload(`${base}/upload`, token, bytes);
    const peakRss = server.peakRss();
    log(`${name}: idle RSS ${mb(idleRss)}, peak ${mb(downloadPeakRss)} streaming ${mb(bytes)} down (${down.seconds.toFixed(1)} s), ${mb(peakRss)} after up (${up.seconds.toFixed(1)} s)`);
    return { idleRss, downloadPeakRss, peakRss, downloadSeconds: down.seconds, uploadSeconds: up.seconds };
  } finally {
    await server.stop();
  }
}

export async function measureMemory(start: { toolproxy: Fresh; yardstick: Fresh }, bytes: number): Promise<MemoryResult> {
  return {
    toolproxy: await streamThrough('toolproxy', start.toolproxy, '/proxy', bytes),
    yardstick: await streamThrough('yardstick', start.yardstick, '', bytes),
  };
}

export function memoryVerdicts(result: MemoryResult, bytes: number): Verdict[] {
  const { toolproxy, yardstick } = result;
  const over = toolproxy.peakRss - yardstick.peakRss;
  return [
    {
      target: `peak RSS streaming ${mb(bytes)} down and up`,
      value: `${mb(toolproxy.peakRss)} (${over >= 0 ? '+' : '−'}${mb(Math.abs(over))})`,
      goal: '≤ yardstick + 40 MB',
      met: over <= 40 * 1024 * 1024,
      detail: `yardstick ${mb(yardstick.peakRss)}; down only: toolproxy ${mb(toolproxy.downloadPeakRss)}, yardstick ${mb(yardstick.downloadPeakRss)}`,
    },
    {
      target: 'idle RSS',
      value: mb(toolproxy.idleRss),
      goal: '≤ 90 MB',
      met: toolproxy.idleRss <= 90 * 1024 * 1024,
      detail: `yardstick ${mb(yardstick.idleRss)}`,
    },
  ];
}
