-- One script for every throughput and latency scenario, so each target gets the same load.
-- Environment:
--   TP_TOKEN     app token; when set, adds the Tool Proxy headers (the other targets forward them)
--   TP_ACCOUNTS  number of accounts user_0 … user_{n-1} to spread requests over
--   TP_FIRST     first account number (default 0): user_{first} … user_{first+n-1}
--   TP_ORDER     "random" (default) or "sequential" (warms every account once, in order)
--   TP_DELAY_MS  mean pause per connection between requests (fixed-rate runs); 0 = closed loop
--   TP_METHOD    request method (default GET)
--   TP_BODY      request body (default none), sent with TP_CONTENT_TYPE (default application/json)
--   TP_AUTHORIZATION  the Authorization header instead of "Bearer <TP_TOKEN>" (an MCP session token)
--   TP_ROUTING   "off": no connection_name/identifier headers (execute_tool and MCP name the account in the body or token)
--   TP_ACCEPT    an Accept header (MCP wants "application/json, text/event-stream")
-- Prints one line `WRK_JSON {…}` with the counts and latency percentiles in microseconds (wrk's
-- histogram has one bucket per microsecond, so the percentiles are exact to 1 µs).
local token = os.getenv("TP_TOKEN")
local accounts = tonumber(os.getenv("TP_ACCOUNTS") or "1")
local first = tonumber(os.getenv("TP_FIRST") or "0")
local sequential = os.getenv("TP_ORDER") == "sequential"
local delay_ms = tonumber(os.getenv("TP_DELAY_MS") or "0")
local method = os.getenv("TP_METHOD") or "GET"
local body = os.getenv("TP_BODY")
local content_type = os.getenv("TP_CONTENT_TYPE") or "application/json"
local authorization = os.getenv("TP_AUTHORIZATION")
local routing = os.getenv("TP_ROUTING") ~= "off"
local accept = os.getenv("TP_ACCEPT")
local next_account = 0
-- Requests formatted once (wrk.format per call would cost the load generator, not the target).
local formatted = {}

local function format(n)
  local headers = {}
  if body then headers["content-type"] = content_type end
  if accept then headers["accept"] = accept end
  if authorization then headers["authorization"] = authorization end
  if token then
    if not authorization then headers["authorization"] = "Bearer " .. token end
    if routing then
      headers["connection_name"] = "bench"
      headers["identifier"] = "user_" .. (first + n)
    end
  end
  return wrk.format(method, nil, headers, body)
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
  local count = token and accounts or 1
  if count <= 1000 then
    for n = 0, count - 1 do formatted[n] = format(n) end
  end
end

function request()
  if not token or accounts == 1 then return formatted[0] end
  local n
  if sequential then
    n = next_account
    next_account = (next_account + 1) % accounts
  else
    n = math.random(0, accounts - 1)
  end
  return formatted[n] or format(n)
end

-- A fixed pause would keep the connections in step: all of them answered together, all of them
-- sending again together, one burst of N calls every delay_ms, which measures queueing behind the
-- burst rather than latency at the rate. Exponentially distributed pauses with the same mean make
-- each connection a Poisson source, so the calls arrive like independent clients at that rate.
if delay_ms > 0 then
  function delay() return math.floor(-math.log(1 - math.random()) * delay_ms + 0.5) end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
