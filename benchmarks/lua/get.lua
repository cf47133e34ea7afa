-- GET one path, with the Bearer token of BENCH_TOKEN when there is one.
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN") or ""
if token ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. token
end

function response(status, headers, body)
   count_answer(status, body)
end
