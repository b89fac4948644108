/**
 * Something wrk can load: a URL, the request shape (wrk/proxy.lua's TP_* variables: token and
 * accounts, method, body) and the processes whose CPU time counts as the target's.
 */
export interface Target {
  name: string;
  url: string;
  env?: Record<string, string>;
  /** Processes doing the target's work (CPU per call); the upstream's is not counted for a proxy. */
  pids(): number[];
}
