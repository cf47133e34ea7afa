-- Shared by the scripts: count answers by status (and error code), print one JSON line at the end.
local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

counts = {}
sample = ""  -- the first unexpected answer of this thread: "key<TAB>body"

-- BENCH_EXPECTED: the answers this scenario may give ("201,409:quota_exhausted"); the others are kept as a sample.
local expected = {}
for answer in string.gmatch(os.getenv("BENCH_EXPECTED") or "", "[^,]+") do
   expected[answer] = true
end

function count_answer(status, body)
   local key = tostring(status)
   if status >= 400 and body then
      key = key .. ":" .. (body:match('"code"%s*:%s*"([%w_]+)"') or "?")
   end
   counts[key] = (counts[key] or 0) + 1
   if sample == "" and not expected[key] then
      sample = key .. "\t" .. string.sub(body or "", 1, 2000):gsub("%s+", " ")
   end
end

function done(summary, latency, requests)
   local total = {}
   for _, thread in ipairs(threads) do
      for key, value in pairs(thread:get("counts")) do
         total[key] = (total[key] or 0) + value
      end
   end
   for _, thread in ipairs(threads) do
      local found = thread:get("sample")
      if found and found ~= "" then
         io.write("BENCH_SAMPLE " .. found .. "\n")
         break
      end
   end
   local parts = {}
   for key, value in pairs(total) do
      table.insert(parts, string.format('"%s": %d', key, value))
   end
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "socket_errors": %d, "answers": {%s}}\n',
      summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      errors.connect + errors.read + errors.write + errors.timeout, table.concat(parts, ", ")))
end
