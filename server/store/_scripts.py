"""The Lua scripts of the shared store: each runs in Redis as one step, so no two processes
see a half-made change (an id in the LRU without its log, a bound passed by two at once).

Keys are named from a prefix given as the first argument where a script needs more keys
than it was handed (Redis allows it outside a cluster, which is the only way we run it).
"""

from __future__ import annotations

import functools
import hashlib

__all__ = ["ADMIT", "DELIVER", "FINISH", "KNOWN", "LOOKUP", "LOSE", "sha"]

#: A new job: checks the queue bound over every live process, counts the job as waiting at
#: its owner, writes its meta data and, for ``/queue/join``, adds it to its session's
#: pending jobs (waking that session's readers). Returns {admitted, version of the stubs}.
#: KEYS: meta, waiting; ARGV: prefix, owner, api, channel, max_queue, ttl, job id
ADMIT = """
local total = 0
local fields = redis.call('HGETALL', KEYS[2])
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[1] .. 'lease:' .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[2], fields[i])
  end
end
local stubs = tonumber(redis.call('GET', ARGV[1] .. 'stubver') or '0')
if total >= tonumber(ARGV[5]) then return {0, stubs} end
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('HSET', KEYS[1], 'api', ARGV[3], 'owner', ARGV[2], 'channel', ARGV[4],
           'done', 0, 'delivered', 0, 'size', 0)
redis.call('EXPIRE', KEYS[1], ARGV[6])
if ARGV[4] ~= '' then
  local pending = ARGV[1] .. 'pending:' .. ARGV[4]
  local chan = ARGV[1] .. 'chan:' .. ARGV[4]
  redis.call('ZADD', pending, redis.call('INCR', ARGV[1] .. 'clock'), ARGV[7])
  -- a session that joins and never reads names at most 10,000 jobs (its oldest go)
  redis.call('ZREMRANGEBYRANK', pending, 0, -10001)
  redis.call('XADD', chan, 'MAXLEN', '~', 100, '*', 'id', ARGV[7])
  redis.call('EXPIRE', pending, ARGV[6])
  redis.call('EXPIRE', chan, ARGV[6])
end
return {1, stubs}
"""

#: A job has ended: it joins the LRU of finished results, and the least recently used go
#: while there are more than ``cache_size`` of them or more than ``cache_bytes`` bytes.
#: The job's last event comes with it (ARGV[6] on: the entry id and its fields), unless
#: it is already in the log (a reader declared the job lost).
#: KEYS: meta, job stream; ARGV: prefix, job id, size, cache_size, cache_bytes[, entry...]
FINISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])  -- (forgotten meanwhile, by a reset: leave nothing behind)
  return {}
end
if #ARGV > 5 then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  local entry = tonumber(string.match(ARGV[6], '^(%d+)'))
  if #last == 0 or tonumber(string.match(last[1][1], '^(%d+)')) < entry then
    redis.call('XADD', KEYS[2], unpack(ARGV, 6))
  end
end
local old_size = 0
if redis.call('HGET', KEYS[1], 'done') == '1' then
  old_size = tonumber(redis.call('HGET', KEYS[1], 'size') or '0')
end
redis.call('HSET', KEYS[1], 'done', 1, 'size', ARGV[3])
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
local lru = ARGV[1] .. 'lru'
local bytes = ARGV[1] .. 'bytes'
redis.call('ZADD', lru, redis.call('INCR', ARGV[1] .. 'clock'), ARGV[2])
redis.call('INCRBY', bytes, tonumber(ARGV[3]) - old_size)
local evicted = {}
while true do
  local count = redis.call('ZCARD', lru)
  local total = tonumber(redis.call('GET', bytes) or '0')
  if count == 0 or (count <= tonumber(ARGV[4]) and total <= tonumber(ARGV[5])) then break end
  local id = redis.call('ZPOPMIN', lru)[1]
  local meta = ARGV[1] .. 'meta:' .. id
  redis.call('DECRBY', bytes, tonumber(redis.call('HGET', meta, 'size') or '0'))
  redis.call('DEL', meta, ARGV[1] .. 'job:' .. id)
  table.insert(evicted, id)
end
return evicted
"""

#: A reader's look at a job: its meta data and its whole log (a use, for the LRU).
#: KEYS: meta, job stream; ARGV: prefix, job id
LOOKUP = """
local meta = redis.call('HMGET', KEYS[1], 'api', 'owner', 'done', 'delivered', 'channel')
if not meta[1] then return false end
if meta[3] == '1' then
  redis.call('ZADD', ARGV[1] .. 'lru', 'XX', redis.call('INCR', ARGV[1] .. 'clock'), ARGV[2])
end
return {meta, redis.call('XRANGE', KEYS[2], '-', '+')}
"""

#: A reader has been given a finished job's end: from now on its log keeps only the last
#: value and the end (as ``Job.mark_delivered`` does in memory).
#: KEYS: meta, job stream; ARGV: prefix, overhead of an event in bytes
DELIVER = """
if redis.call('HGET', KEYS[1], 'done') ~= '1' then return 0 end
if redis.call('HGET', KEYS[1], 'delivered') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'delivered', 1)
local values = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[2], '-', '+')) do
  local fields = entry[2]
  local kind, size = nil, 0
  for i = 1, #fields, 2 do
    if fields[i] == 'k' then kind = fields[i + 1] end
    if fields[i] == 'd' then size = string.len(fields[i + 1]) end
  end
  if kind == 'generating' then table.insert(values, {entry[1], size}) end
end
local freed = 0
for i = 1, #values - 1 do
  redis.call('XDEL', KEYS[2], values[i][1])
  freed = freed + values[i][2] + tonumber(ARGV[2])
end
if freed > 0 then
  redis.call('HINCRBY', KEYS[1], 'size', -freed)
  redis.call('DECRBY', ARGV[1] .. 'bytes', freed)
end
return freed
"""

#: The owner of a running job is gone (its lease lapsed): the job ends with an ``error``
#: event saying so, once, whichever reader noticed first; every reader then reads it.
#: KEYS: meta, job stream; ARGV: the error's JSON, its size in bytes
LOSE = """
if redis.call('HGET', KEYS[1], 'done') ~= '0' then return 0 end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local seq = 1
if #last > 0 then seq = tonumber(string.match(last[1][1], '^(%d+)')) + 1 end
redis.call('XADD', KEYS[2], seq .. '-0', 'k', 'error', 'd', ARGV[1], 'r', 0, 'q', 0, 't', '')
redis.call('HSET', KEYS[1], 'done', 2)
return 1
"""


#: Every script run so far, by digest (to teach a Redis that answers NOSCRIPT).
KNOWN: dict[str, str] = {}


@functools.cache
def sha(script: str) -> str:
    """The digest Redis knows a script by (``EVALSHA``)."""
    digest = hashlib.sha1(script.encode()).hexdigest()
    KNOWN[digest] = script
    return digest
