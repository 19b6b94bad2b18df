-- lua_workload.lua — the Lua workload of bench/run.sh: a mixed script run by the Lua 5.2
-- interpreter (lua.c, timed by lua_main.c).  `lua lua_workload.lua ROUNDS`; each round does a bit of
-- what real Lua programs do: recursive calls, table.sort with a Lua comparator, string building
-- and pattern matching with Lua callbacks, method calls through a metatable, a coroutine, and
-- string-keyed tables.  It prints one checksum per part and a total; the output depends only on
-- ROUNDS (no time, no addresses, no pairs() order: Lua 5.2 seeds its string hash per run), so
-- every build must print the same bytes.

local rounds = tonumber(arg and arg[1]) or 10
local M = 2147483647 -- checksums stay exact integers in doubles

-- deterministic pseudo-random integers (Park-Miller), seeded per round
local function lcg(seed)
  local s = seed
  return function()
    s = (s * 16807) % M
    return s
  end
end

-- 1. recursion: a tiny body per call
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

-- 2. table.sort with a comparator written in Lua: one Lua call per comparison
local function sort_part(round)
  local rnd, a = lcg(round * 7919 + 1), {}
  for i = 1, 20000 do a[i] = rnd() % 1000000 end
  table.sort(a, function(x, y) return x > y end)
  for i = 2, #a do assert(a[i - 1] >= a[i]) end
  return (a[1] + a[#a / 2] * 3 + a[#a] * 7) % M
end

-- 3. strings: format, concat, gmatch, gsub with a Lua function
local function string_part(round)
  local parts = {}
  for i = 1, 5000 do
    parts[#parts + 1] = string.format("%05d:%s:%.3f", (i * 37 + round) % 100000, "item", i / 7)
  end
  local s = table.concat(parts, ",")
  local n, digits = 0, 0
  for key, name in s:gmatch("(%d+):(%a+)") do
    n = n + 1
    digits = digits + #key + #name
  end
  local t, subs = s:gsub("(%d+)%.(%d+)", function(int, frac) return frac .. "." .. int end)
  return (n * 1000003 + digits + subs + #t) % M
end

-- 4. objects: method calls resolved through the metatable's __index
local Counter = {}
Counter.__index = Counter
function Counter.new(step) return setmetatable({ n = 0, step = step }, Counter) end
function Counter:inc(i) self.n = (self.n + i % self.step) % M end
function Counter:value() return self.n end

local function method_part(round)
  local objs = { Counter.new(3), Counter.new(7), Counter.new(11 + round % 5) }
  for i = 1, 20000 do objs[i % 3 + 1]:inc(i) end
  return (objs[1]:value() + objs[2]:value() * 3 + objs[3]:value() * 7) % M
end

-- 5. a coroutine yielding 5000 values to its consumer
local function coroutine_part(round)
  local co = coroutine.wrap(function()
    for i = 1, 5000 do coroutine.yield((i * round) % 1009) end
    return nil
  end)
  local sum = 0
  for _ = 1, 5000 do sum = sum + co() end
  co()
  return sum % M
end

-- 6. string-keyed table: 10000 updates of 1000 keys
local function map_part(round)
  local m = {}
  for i = 1, 10000 do
    local k = "k" .. (i % 1000)
    m[k] = (m[k] or 0) + i + round
  end
  local sum = 0
  for i = 0, 999 do sum = (sum * 31 + m["k" .. i]) % M end
  return sum
end

local names = { "fib", "sort", "string", "method", "coroutine", "map" }
local sums = { 0, 0, 0, 0, 0, 0 }
for round = 1, rounds do
  local r = {
    fib(22), sort_part(round), string_part(round), method_part(round), coroutine_part(round), map_part(round),
  }
  for i = 1, #r do sums[i] = (sums[i] * 131 + r[i]) % M end
end
local total = 0
for i = 1, #names do
  print(string.format("%-9s %d", names[i], sums[i]))
  total = (total * 1000003 + sums[i]) % M
end
print(string.format("lua_workload rounds=%d checksum=%d", rounds, total))
