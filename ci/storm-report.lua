-- wrk report script for ci/storm-bench.sh: prints one machine-readable line
-- per run (requests, requests/s, latency percentiles in microseconds,
-- responses that were not 2xx/3xx, socket errors), so the script can compute
-- ratios without parsing wrk's human-readable summary.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
