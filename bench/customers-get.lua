-- wrk script: GET /v1/customers/{id}, cycling over customers created beforehand.
--
-- TREU_IDS_FILE names a file with one customer id (cust_...) a line; bench/run
-- creates ~1,000 customers with bench/seed-customers.js and writes it. Each
-- thread starts at a different place in the list.
--
--   TREU_APP_ID=... TREU_APP_TOKEN=... TREU_IDS_FILE=ids.txt \
--     wrk -t2 -c50 -d10s --latency -s bench/customers-get.lua http://127.0.0.1:PORT
dofile((os.getenv("TREU_BENCH_DIR") or "bench") .. "/lib.lua")

local reqs = {}
local i = 0

function init(args)
   reqs = treu_get_requests("TREU_IDS_FILE", "/v1/customers/")
   i = (tid * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
