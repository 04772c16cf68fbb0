-- wrk script: POST /v1/vouchers/{code}/redemption, each request a different code.
--
-- TREU_CODES_FILE names a file with one voucher code a line (bench/vouchers writes it from
-- a campaign whose codes each allow one redemption). Thread `tid` of TREU_BENCH_THREADS
-- takes every TREU_BENCH_THREADS-th code from its own offset, so no code is redeemed twice
-- while codes last; the order amount is fixed so the discount can be checked. Customers
-- cycle over 1,000 source_ids (created on first use).
--
--   TREU_APP_ID=... TREU_APP_TOKEN=... TREU_CODES_FILE=codes.txt TREU_BENCH_THREADS=2 \
--     wrk -t2 -c50 -d10s --latency -s bench/vouchers-redeem.lua http://127.0.0.1:PORT
dofile((os.getenv("TREU_BENCH_DIR") or "bench") .. "/lib.lua")

local headers
local codes = {}
local step = 1
local i = 0
local n = 0

function init(args)
   headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
      ["Content-Type"] = "application/json",
   }
   local f = io.open(treu_env("TREU_CODES_FILE"), "r")
   for line in f:lines() do
      if line ~= "" then codes[#codes + 1] = line end
   end
   f:close()
   step = tonumber(os.getenv("TREU_BENCH_THREADS") or "2")
   i = tid + 1
end

function request()
   local code = codes[i] or codes[#codes]
   i = i + step
   n = n + 1
   local body = string.format(
      '{"customer":{"source_id":"bench-redeemer-%d"},"order":{"amount":10000}}', (n * 7 + tid) % 1000)
   return wrk.format("POST", "/v1/vouchers/" .. code .. "/redemption", headers, body)
end
