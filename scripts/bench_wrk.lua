-- wrk script of scripts/bench.sh: every request is the next AuthnRequest path from the file
-- named by BENCH_PATHS (one per line), sent with the SSO-session cookie in BENCH_COOKIE; every
-- answer that is not a 200 carrying a SAMLResponse is counted, and done() prints one line of
-- figures for the script to read (latencies in microseconds).

local threads = {}
local paths = {}
local n, i = 0, 0
local bad = 0

function setup(thread)
   thread:set("offset", #threads * 7919)
   table.insert(threads, thread)
end

function init(args)
   for line in io.lines(os.getenv("BENCH_PATHS")) do
      n = n + 1
      paths[n] = line
   end
   i = offset or 0
   wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
end

function request()
   i = i % n + 1
   return wrk.format("GET", paths[i])
end

function response(status, headers, body)
   if status ~= 200 or not string.find(body, 'name="SAMLResponse"', 1, true) then
      bad = bad + 1
   end
end

function done(summary, latency, requests)
   local total_bad = 0
   for _, t in ipairs(threads) do
      total_bad = total_bad + (t:get("bad") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d bad=%d errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      total_bad, e.connect + e.read + e.write + e.timeout))
end
