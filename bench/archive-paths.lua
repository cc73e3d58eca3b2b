-- wrk script of bench/archive.sh: each request a different path of the
-- file PATHS (one per line), so no answer comes from the response cache;
-- thread k of THREADS takes lines k, k+THREADS, k+2·THREADS, …
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  paths = {}
  for line in io.lines(os.getenv("PATHS")) do
    paths[#paths + 1] = line
  end
  step = tonumber(os.getenv("THREADS") or "2")
  i = id + 1
end

function request()
  local path = paths[((i - 1) % #paths) + 1]
  i = i + step
  return wrk.format("GET", path)
end
