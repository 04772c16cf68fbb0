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

function init(args)
   reqs = treu_get_requests("TREU_CODES_FILE", "/v1/loyalties/members/")
   i = (tid * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
