-- wrk script for Benchmarks/bench_retention.py: POSTs agent replies round-robin over the
-- conversations listed, one id a line, in the file named by the TARGETS environment variable,
-- with the tenant key in API_KEY, and prints the JSON line of wrk_report.lua's done() (wrk counts
-- answers of 400 and above in errors.status).

local requests = {}
local index = 0

init = function(args)
  local key = os.getenv("API_KEY")
  for id in io.lines(os.getenv("TARGETS")) do
    requests[#requests + 1] = wrk.format("POST", "/api/conversations/" .. id .. "/replies", {
      ["content-type"] = "application/json",
      ["x-api-key"] = key,
    }, '{"text":"a reply while retention runs","agentId":"bench"}')
  end
end

request = function()
  index = index + 1
  return requests[(index % #requests) + 1]
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"duration_us": %.0f, "requests": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, ' ..
    '"latency_us": {"mean": %.1f, "max": %.0f, "p50": %.0f, "p90": %.0f, "p99": %.0f, "p99.9": %.0f}}\n',
    summary.duration, summary.requests,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
end
