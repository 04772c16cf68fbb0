-- wrk script: POST /v1/customers, one new customer per request.
--
-- Every request carries a source_id no other request of this run uses
-- ("<run>-<thread>-<n>"), so each one is a create (201), never an upsert (200),
-- and each is a durable write that the server's writer commits in groups.
--
--   TREU_APP_ID=... TREU_APP_TOKEN=... TREU_BENCH_RUN=r1 \
--     wrk -t2 -c50 -d10s --latency -s bench/customers-create.lua http://127.0.0.1:PORT
dofile((os.getenv("TREU_BENCH_DIR") or "bench") .. "/lib.lua")

local headers
local run
local n = 0

function init(args)
   run = os.getenv("TREU_BENCH_RUN") or tostring(os.time())
   headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
      ["Content-Type"] = "application/json",
   }
end

function request()
   n = n + 1
   local sid = string.format("%s-%d-%d", run, tid, n)
   local body = string.format(
      '{"source_id":"bench-%s","name":"Bench Customer %d","email":"bench-%s@example.com"}',
      sid, n, sid)
   return wrk.format("POST", "/v1/customers", headers, body)
end
