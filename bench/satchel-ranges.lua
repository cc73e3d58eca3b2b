-- wrk script for bench/satchel.sh: GET requests with a Range header, taken in
-- turn from a file of "path<TAB>bytes=a-b" lines (bench/satchel-helper.py
-- mix writes it: every 360p segment of every capsule, capsule after
-- capsule). Each wrk thread starts at its own place in the list, so the
-- classroom's clients are spread over the capsules rather than all asking
-- for the same segment at once.
--
-- Usage: wrk -tN … -s bench/satchel-ranges.lua URL -- RANGES_FILE N
-- Prints one line "BENCH key=value…" at the end for the script to read.

local list = {}
local formatted = {}
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local i = 0
function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  for line in file:lines() do
    local path, range = line:match("^([^\t]+)\t(.*)$")
    if path then
      local headers = {}
      if range ~= "" then headers["Range"] = range end
      table.insert(formatted, wrk.format("GET", path, headers))
    end
  end
  file:close()
  assert(#formatted > 0, "no request in " .. args[1])
  -- Thread k of n starts k/n of the way through the list.
  local n = tonumber(args[2]) or 2
  i = math.floor((id or 0) * #formatted / n) % #formatted
end

function request()
  i = i % #formatted + 1
  return formatted[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
