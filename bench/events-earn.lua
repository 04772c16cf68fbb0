-- wrk script: POST /v1/events, a "ride.finished" event for a random loyalty member.
--
--   {"event":"ride.finished","customer":"<member's source_id>","metadata":{"minutes":M}}
--
-- M is random in 5..120. Each event is new (no source_id, no Idempotency-Key), so each
-- one evaluates the program's earning rules and is a durable write. bench/run sets the
-- program up with bench/seed-loyalty.js, which writes the two files named below.
--
-- Every 201 answer is checked: its "loyalty.points" must be what earn-expected.txt
-- says for its "metadata.minutes" (the answer echoes the metadata). The result line
-- carries, summed over the threads:
--   points_2xx    the sum of loyalty.points over the 201 answers
--   mismatch      answers whose points differ from the expected (first few printed)
--   unparsed      2xx answers without "metadata":{"minutes":N} or "loyalty":{"points":N}
--
--   TREU_APP_ID=... TREU_APP_TOKEN=... TREU_SIDS_FILE=member-sids.txt \
--   TREU_EXPECTED_FILE=earn-expected.txt \
--     wrk -t2 -c50 -d10s --latency -s bench/events-earn.lua http://127.0.0.1:PORT
dofile((os.getenv("TREU_BENCH_DIR") or "bench") .. "/lib.lua")

treu_extra = {"points_2xx", "mismatch", "unparsed"}
points_2xx = 0
mismatch = 0
unparsed = 0

local POOL = 8192 -- pre-built requests per thread (random member and minutes each)
local reqs = {}
local expected = {}
local i = 0

local function read_lines(path)
   local f = io.open(path, "r")
   if f == nil then
      io.stderr:write("treu-bench: cannot open " .. path .. "\n")
      os.exit(2)
   end
   local out = {}
   for line in f:lines() do
      if line ~= "" then out[#out + 1] = line end
   end
   f:close()
   if #out == 0 then
      io.stderr:write("treu-bench: no lines in " .. path .. "\n")
      os.exit(2)
   end
   return out
end

function init(args)
   local headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
      ["Content-Type"] = "application/json",
   }
   local sids = read_lines(treu_env("TREU_SIDS_FILE"))
   local lo, hi
   for _, line in ipairs(read_lines(treu_env("TREU_EXPECTED_FILE"))) do
      local m, p = string.match(line, "^(%d+) (%d+)$")
      m, p = tonumber(m), tonumber(p)
      expected[m] = p
      lo = math.min(lo or m, m)
      hi = math.max(hi or m, m)
   end
   math.randomseed(1000 + tid)
   -- Built here, not in request(): building them costs the load generator CPU it
   -- shares with the server.
   for k = 1, POOL do
      local body = string.format(
         '{"event":"ride.finished","customer":"%s","metadata":{"minutes":%d}}',
         sids[math.random(#sids)], math.random(lo, hi))
      reqs[k] = wrk.format("POST", "/v1/events", headers, body)
   end
end

function request()
   i = i % POOL + 1
   return reqs[i]
end

local count_response = response

function response(status, headers, body)
   count_response(status, headers, body)
   if status < 200 or status >= 300 then return end
   local m = string.match(body, '"metadata":{"minutes":(%d+)}')
   local p = string.match(body, '"loyalty":{"points":(%-?%d+)')
   if m == nil or p == nil then
      unparsed = unparsed + 1
      if unparsed <= 3 then
         io.stderr:write("treu-bench: unparsed answer: " .. string.sub(body, 1, 400) .. "\n")
      end
      return
   end
   m, p = tonumber(m), tonumber(p)
   points_2xx = points_2xx + p
   if expected[m] ~= p then
      mismatch = mismatch + 1
      if mismatch <= 5 then
         io.stderr:write(string.format(
            "treu-bench: minutes %d earned %d points, expected %s: %s\n",
            m, p, tostring(expected[m]), string.sub(body, 1, 300)))
      end
   end
end
