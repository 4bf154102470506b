-- wrk script for Benchmarks/bench_channels.py: POSTs pre-signed Meta callbacks, one after another
-- from the file named by the CALLBACKS environment variable (lines "<path>\t<signature>\t<body>"),
-- each thread starting at its own offset, and prints the JSON line of wrk_report.lua's done().

local lines = {}
local index = 0

init = function(args)
  for line in io.lines(os.getenv("CALLBACKS")) do
    local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    lines[#lines + 1] = wrk.format("POST", path, {
      ["content-type"] = "application/json",
      ["x-hub-signature-256"] = signature,
    }, body)
  end
  index = tonumber(args[1] or "0") or 0
end

request = function()
  index = index + 1
  return lines[(index % #lines) + 1]
end

local statuses = {}

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"duration_us": %.0f, "requests": %.0f, ' ..
    '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, ' ..
    '"latency_us": {"mean": %.1f, "max": %.0f, "p50": %.0f, "p90": %.0f, "p99": %.0f}}\n',
    summary.duration, summary.requests,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
