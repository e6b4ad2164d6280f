-- wrk script of scripts/bench.sh: every request is the next AuthnRequest path from the file
-- named by BENCH_PATHS (one per line), sent with the SSO-session cookie in BENCH_COOKIE, and
-- done() prints one line of figures for the script to read (latencies in microseconds).
--
-- The requests are formatted once, at start, and the script has no response() callback: with
-- one, wrk copies every header and body into Lua, which cost it a third more CPU per request
-- on the cores the server needs. What the answers were is checked without it: wrk counts the
-- statuses that are not 2xx/3xx (bad=), and bench.sh compares the requests answered with the
-- number of SSO-session answers the IdP's /metrics counted over the same run.

local threads = 0
local reqs = {}
local n, i = 0, 0

-- Each wrk thread starts at another place in the list, so no two send the same request ID.
function setup(thread)
   thread:set("offset", threads * 7919)
   threads = threads + 1
end

function init(args)
   wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
   for line in io.lines(os.getenv("BENCH_PATHS")) do
      n = n + 1
      reqs[n] = wrk.format("GET", line)
   end
   i = (offset or 0) % n
end

function request()
   i = i % n + 1
   return reqs[i]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d bad=%d errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout))
end
