-- wrk script: every request takes the next path from the file $PATHS (one presigned path a line);
-- METHOD (GET or PUT) and BODYSIZE (bytes of the PUT body) from the environment.
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = "/" .. line end
local method = os.getenv("METHOD") or "GET"
local size = tonumber(os.getenv("BODYSIZE") or "0")
local body = size > 0 and string.rep("x", size) or nil
local threads = 0
function setup(thread) thread:set("first", threads); threads = threads + 1 end
local i = 0
function request()
  i = i + 1
  -- threads start at different keys and walk the list with a stride, so that concurrent PUTs rarely hit one key
  return wrk.format(method, paths[((i * 7 + (first or 0) * 1009) % #paths) + 1], nil, body)
end
