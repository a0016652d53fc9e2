-- wrk script for `make bench-load` (benchmarks/load/run.sh).
--   LOAD_LINES   a file, one caller per line: "<token>" or "<token> <id>"
--   LOAD_PATH    the request path; "{id}" is replaced by the line's id
--   LOAD_METHOD  GET (default) or POST
--   LOAD_THREADS wrk's -t, so the threads take interleaved lines and never the same one twice
-- Prints one JSON line at the end: latency percentiles, throughput and the count of each status.

local lines = {}
for line in io.lines(os.getenv("LOAD_LINES")) do
  if line ~= "" then lines[#lines + 1] = line end
end
local path_template = os.getenv("LOAD_PATH")
local method = os.getenv("LOAD_METHOD") or "GET"
local stride = tonumber(os.getenv("LOAD_THREADS") or "1")

local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  next_line = offset
  statuses = {}
end

function request()
  local line = lines[next_line % #lines + 1]
  next_line = next_line + stride
  local token, id = line:match("^(%S+)%s*(%S*)$")
  local path = path_template:gsub("{id}", id)
  local headers = { ["Accept"] = "application/json" }
  if token ~= "-" then headers["Authorization"] = "Token " .. token end
  return wrk.format(method, path, headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.1f, "p95_ms": %.1f, "p99_ms": %.1f, '
      .. '"max_ms": %.1f, "socket_errors": %d, "timeouts": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect + errors.read + errors.write, errors.timeout,
    table.concat(parts, ", ")
  ))
end
