-- wrk script for scripts/bench-rest.sh (Benchmarks/bench_rest.py): prints, after the run, one
-- JSON line with the totals, the error counts and the latency percentiles (microseconds), so the
-- driver reads numbers instead of wrk's rounded human-readable table. It defines no request() or
-- response() hook: wrk's request loop stays its native one.

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"duration_us": %.0f, "requests": %.0f, "bytes": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, ' ..
    '"latency_us": {"mean": %.1f, "stdev": %.1f, "max": %.0f, ' ..
    '"p50": %.0f, "p90": %.0f, "p99": %.0f, "p99.9": %.0f}}\n',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
