-- vminfo: what a Keel VM looks like from the inside. The default
-- application of capstan.yaml (`make run`): reads /proc and the image's
-- own record (/boot/keel.json) and prints a short report.

local function read(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  return text
end

local function field(text, name)
  return text and text:match(name .. "%s*:%s*([^\n]*)")
end

local cpuinfo = read("/proc/cpuinfo") or ""
local cpus = 0
for _ in cpuinfo:gmatch("processor%s*:") do cpus = cpus + 1 end
local model = field(cpuinfo, "model name") or "unknown"

local meminfo = read("/proc/meminfo")
local function mib(name)
  local kb = tonumber((field(meminfo, name) or ""):match("(%d+)"))
  return kb and string.format("%.1f MiB", kb / 1024) or "?"
end

local uptime = tonumber((read("/proc/uptime") or ""):match("^(%S+)"))
local image = read("/boot/keel.json") or ""
-- keel.json is indented by one space per level: top-level keys only.
local name = image:match('\n "name": "([^"]*)"') or "?"
local version = image:match('\n "version": "([^"]*)"') or "?"
local kernel = image:match('"kernel":%s*{[^}]*"version":%s*"([^"]*)"') or "?"

print("Hello from Keel: " .. _VERSION .. " in a one-application VM")
print(string.format("  image      %s:%s (kernel %s)", name, version, kernel))
print(string.format("  CPUs       %d x %s", cpus, model))
print(string.format("  memory     %s total, %s free for the application",
                    mib("MemTotal"), mib("MemFree")))
print(string.format("  uptime     %s ms since the kernel started",
                    uptime and string.format("%.1f", uptime * 1000) or "?"))
print("  mounts")
for line in (read("/proc/mounts") or ""):gmatch("[^\n]+") do
  local dev, dir, fs = line:match("^(%S+)%s+(%S+)%s+(%S+)")
  print(string.format("    %-10s %-6s %s", dir, fs, dev))
end
local args = {}
for i = 1, #arg do args[#args + 1] = arg[i] end
print("  arguments  " .. (#args > 0 and table.concat(args, " ") or "(none)"))
os.exit(tonumber(os.getenv("EXIT_STATUS") or "0"))
