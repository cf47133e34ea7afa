-- POST bookings, one distinct slot each: thread i of n takes lines i, i+n, ... of BENCH_SLOTS
-- ("path<TAB>json body" per line). A thread that runs out starts again (those are slot_taken).
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local lines = {}
local position = 0

function init(args)
   local n = tonumber(os.getenv("BENCH_THREADS"))
   local index = 0
   for line in io.lines(os.getenv("BENCH_SLOTS")) do
      if index % n == id then
         local path, body = line:match("^([^\t]+)\t(.*)$")
         table.insert(lines, {path, body})
      end
      index = index + 1
   end
   wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
   wrk.headers["Content-Type"] = "application/json"
end

function request()
   position = position % #lines + 1
   local line = lines[position]
   return wrk.format("POST", line[1], nil, line[2])
end

function response(status, headers, body)
   count_answer(status, body)
end
