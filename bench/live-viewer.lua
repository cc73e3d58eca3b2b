-- wrk: viewers at a live stream's edge. Each thread keeps the newest
-- segment URIs of the playlist it last read; requests go playlist,
-- segment, playlist, segment… (a viewer reads the playlist every second
-- and a 2-second segment every two), the segments taken from the newest
-- three in turn.
local playlist = os.getenv("LIVE_PLAYLIST") or "/live/x/index.m3u8"
local segments = {}
local n = 0

request = function()
  n = n + 1
  if n % 2 == 1 or #segments == 0 then
    return wrk.format("GET", playlist)
  end
  return wrk.format("GET", segments[math.floor(n / 2) % #segments + 1])
end

response = function(status, headers, body)
  if status ~= 200 or not body:find("#EXTM3U", 1, true) then
    return
  end
  local found = {}
  for line in body:gmatch("[^\n]+") do
    if line:sub(1, 9) == "/media/b/" then
      found[#found + 1] = line
    end
  end
  local newest = {}
  for i = math.max(1, #found - 2), #found do
    newest[#newest + 1] = found[i]
  end
  if #newest > 0 then
    segments = newest
  end
end

done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %.2f, \"errors\": %d, \"non2xx\": %d, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
