-- wrk script: GET /v1/loyalties/members/{code}, cycling over loyalty members' card codes.
--
-- TREU_CODES_FILE names a file with one card code a line; bench/run writes it with
-- bench/seed-loyalty.js. Each thread starts at a different place in the list. bench/run
-- runs this while bench/earn-open-loop.js sends earn events at a fixed rate, to measure
-- balance reads under write load.
--
--   TREU_APP_ID=... TREU_APP_TOKEN=... TREU_CODES_FILE=member-codes.txt \
--     wrk -t2 -c16 -d10s --latency -s bench/members-get.lua http://127.0.0.1:PORT
dofile((os.getenv("TREU_BENCH_DIR") or "bench") .. "/lib.lua")

local reqs = {}
local i = 0

-- Card codes use letters and digits (and the program's prefix/postfix); anything else
-- is percent-encoded.
local function enc(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   local headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
   }
   local path = treu_env("TREU_CODES_FILE")
   local f = io.open(path, "r")
   if f == nil then
      io.stderr:write("treu-bench: cannot open " .. path .. "\n")
      os.exit(2)
   end
   for line in f:lines() do
      if line ~= "" then
         reqs[#reqs + 1] = wrk.format("GET", "/v1/loyalties/members/" .. enc(line), headers, nil)
      end
   end
   f:close()
   if #reqs == 0 then
      io.stderr:write("treu-bench: no codes in " .. path .. "\n")
      os.exit(2)
   end
   i = (tid * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
