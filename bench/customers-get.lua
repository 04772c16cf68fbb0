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
   local headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
   }
   local path = treu_env("TREU_IDS_FILE")
   local f = io.open(path, "r")
   if f == nil then
      io.stderr:write("treu-bench: cannot open " .. path .. "\n")
      os.exit(2)
   end
   -- Requests are pre-built here: building them in request() would cost the
   -- load generator CPU it shares with the server on a 2-core machine.
   for line in f:lines() do
      if line ~= "" then
         reqs[#reqs + 1] = wrk.format("GET", "/v1/customers/" .. line, headers, nil)
      end
   end
   f:close()
   if #reqs == 0 then
      io.stderr:write("treu-bench: no ids in " .. path .. "\n")
      os.exit(2)
   end
   i = (tid * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
