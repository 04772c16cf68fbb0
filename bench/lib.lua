-- Shared part of treu's wrk scripts (loaded with dofile by customers-*.lua).
--
-- wrk runs one Lua state per thread plus one for setup() and done(). This file
-- gives every script:
--   * a per-thread number `tid` (0, 1, ...) set in setup(), so request bodies can
--     be made unique across threads;
--   * a response() hook that counts responses by status in each thread;
--   * a done() hook that prints ONE machine-readable line for bench/run:
--       TREU_BENCH {"requests":N,"duration_us":N,"rps":F,"p50_us":F,...}
--
-- Settings come from the environment (bench/run sets them):
--   TREU_APP_ID, TREU_APP_TOKEN  server key of the bench project
--   TREU_BENCH_RUN               a string unique to this run (prefix of source_ids)
--   TREU_IDS_FILE                customers-get.lua: file with one customer id a line
--
-- A script may also set the global `treu_extra` to a list of names of numeric
-- per-thread globals it counts (e.g. {"n_mismatch"}); done() adds each one, summed
-- over the threads, to the result line.

local threads = {}
local next_tid = 0

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
   table.insert(threads, thread)
end

-- Per thread (running phase): responses counted by status.
n_2xx = 0
n_other = 0
statuses = {}

function response(status, headers, body)
   if status >= 200 and status < 300 then
      n_2xx = n_2xx + 1
   else
      n_other = n_other + 1
      if n_other <= 5 then
         -- Show the first few failures in full: they are what a developer needs.
         io.stderr:write(string.format("treu-bench: HTTP %d: %s\n", status,
            string.sub(body or "", 1, 400)))
      end
   end
   statuses[status] = (statuses[status] or 0) + 1
end

local function json_str(s)
   return '"' .. string.gsub(s, '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end) .. '"'
end

function done(summary, latency, requests)
   local ok, other = 0, 0
   local merged = {}
   for _, t in ipairs(threads) do
      ok = ok + (t:get("n_2xx") or 0)
      other = other + (t:get("n_other") or 0)
      for code, n in pairs(t:get("statuses") or {}) do
         merged[code] = (merged[code] or 0) + n
      end
   end
   local codes = {}
   for code in pairs(merged) do codes[#codes + 1] = code end
   table.sort(codes)
   local parts = {}
   for _, code in ipairs(codes) do
      parts[#parts + 1] = json_str(tostring(code)) .. ":" .. merged[code]
   end
   local extra = ""
   for _, name in ipairs(treu_extra or {}) do
      local sum = 0
      for _, t in ipairs(threads) do sum = sum + (t:get(name) or 0) end
      extra = extra .. string.format(',%s:%d', json_str(name), sum)
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   print(string.format(
      'TREU_BENCH {"requests":%d,"duration_us":%d,"rps":%.1f,"ok_2xx":%d,"non_2xx":%d,' ..
      '"statuses":{%s},"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,' ..
      '"err_status_gt399":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,' ..
      '"max_us":%.1f,"mean_us":%.1f,"threads":%d%s}',
      summary.requests, summary.duration, summary.requests / secs, ok, other,
      table.concat(parts, ","), e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean, #threads, extra))
end

function treu_env(name)
   local v = os.getenv(name)
   if v == nil or v == "" then
      io.stderr:write("treu-bench: environment variable " .. name .. " is not set\n")
      os.exit(2)
   end
   return v
end

-- Builds GET requests for `prefix .. key` from a file with one key a line (named by the
-- environment variable `file_env`), with the server key headers. Keys are percent-encoded
-- beyond letters, digits and "-._~". Requests are pre-built: building them in request()
-- would cost the load generator CPU it shares with the server on a 2-core machine.
function treu_get_requests(file_env, prefix)
   local headers = {
      ["X-App-Id"] = treu_env("TREU_APP_ID"),
      ["X-App-Token"] = treu_env("TREU_APP_TOKEN"),
   }
   local path = treu_env(file_env)
   local f = io.open(path, "r")
   if f == nil then
      io.stderr:write("treu-bench: cannot open " .. path .. "\n")
      os.exit(2)
   end
   local reqs = {}
   for line in f:lines() do
      if line ~= "" then
         local key = string.gsub(line, "[^%w%-%._~]", function(c)
            return string.format("%%%02X", string.byte(c))
         end)
         reqs[#reqs + 1] = wrk.format("GET", prefix .. key, headers, nil)
      end
   end
   f:close()
   if #reqs == 0 then
      io.stderr:write("treu-bench: no keys in " .. path .. "\n")
      os.exit(2)
   end
   return reqs
end
