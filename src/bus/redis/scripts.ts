import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis adapter. Each runs atomically on the server, which is what
 * makes a step whole: a duplicate is never half-sent, a release never leaves a message both
 * pending and delayed (or neither), a stale acknowledgement never touches the new holder's.
 * A script touches several keys of one topic, so the adapter needs one Redis, not a cluster.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** By hash; the source only when the server does not know it yet (a restart, a flush). */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]) {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** `XINFO GROUPS` as tables keyed by field, and stream id order. */
const helpers = `
local function groups_of(stream)
  local out = {}
  for _, raw in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local g = {}
    for i = 1, #raw, 2 do g[raw[i]] = raw[i + 1] end
    out[#out + 1] = g
  end
  return out
end

local function id_after(a, b)
  local ad = string.find(a, '-', 1, true)
  local bd = string.find(b, '-', 1, true)
  local ams = tonumber(string.sub(a, 1, ad - 1))
  local bms = tonumber(string.sub(b, 1, bd - 1))
  if ams ~= bms then return ams > bms end
  return tonumber(string.sub(a, ad + 1)) > tonumber(string.sub(b, bd + 1))
end
`;

/**
 * Stores a batch, all or nothing. KEYS: per envelope its stream, delayed set and idempotency
 * key. ARGV: now, idempotency window (ms), bound (0 = none), then per envelope its JSON, its
 * due time (0 = now) and whether it has an idempotency key ('1'/'0').
 * Returns 1 (a repeat, dropped) or 0 per envelope; a `BUSFULL` error when the batch would take
 * a stream and its delayed set past the bound, before anything is stored.
 */
export const sendScript = new LuaScript(`
local now = tonumber(ARGV[1])
local bound = tonumber(ARGV[3])
local n = #KEYS / 3
if bound > 0 then
  local adding = {}
  for i = 1, n do
    local s = KEYS[i * 3 - 2]
    adding[s] = (adding[s] or 0) + 1
  end
  for i = 1, n do
    local s = KEYS[i * 3 - 2]
    if adding[s] then
      local held = redis.call('XLEN', s) + redis.call('ZCARD', KEYS[i * 3 - 1])
      if held + adding[s] > bound then
        return redis.error_reply('BUSFULL ' .. s .. ' holds ' .. held)
      end
      adding[s] = nil
    end
  end
end
local out = {}
for i = 1, n do
  local json = ARGV[i * 3 + 1]
  local due = tonumber(ARGV[i * 3 + 2])
  local repeated = ARGV[i * 3 + 3] == '1'
    and not redis.call('SET', KEYS[i * 3], '1', 'NX', 'PX', ARGV[2])
  if repeated then
    out[i] = 1
  else
    if due > now then
      redis.call('ZADD', KEYS[i * 3 - 1], due, '0|' .. json)
    else
      redis.call('XADD', KEYS[i * 3 - 2], '*', 'e', json)
    end
    out[i] = 0
  end
end
return out
`);

/**
 * Creates a consumer group unless it exists. The topic's first group starts at the stream's
 * beginning (it inherits what was sent before any group existed); a later one at its end, so
 * adding a group does not replay whatever other groups have yet to acknowledge.
 * KEYS: stream. ARGV: group. Returns 1 when created.
 */
export const createGroupScript = new LuaScript(`
${helpers}
local start = '0'
if redis.call('EXISTS', KEYS[1]) == 1 then
  local groups = groups_of(KEYS[1])
  for _, g in ipairs(groups) do
    if g['name'] == ARGV[1] then return 0 end
  end
  if #groups > 0 then start = '$' end
end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], start, 'MKSTREAM')
return 1
`);

/**
 * Acknowledges or releases one delivery, only if it is still the holder's: same consumer and
 * same delivery count in the group's pending list (a delivery claimed by another member since
 * is someone else's now). A release goes back in the same step: into the stream for this
 * group alone when due, else into the group's delayed set, carrying its attempts so far.
 * An entry every group has acknowledged is deleted: that is the stream's retention.
 * KEYS: stream, group's delayed set. ARGV: group, id, consumer, deliveries, 'ack'|'release',
 * due time, now, attempts so far, envelope JSON. Returns 1 when settled, 0 when stale.
 */
export const settleScript = new LuaScript(`
${helpers}
local held = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1]
if not held or held[2] ~= ARGV[3] or held[4] ~= tonumber(ARGV[4]) then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if ARGV[5] == 'release' then
  if tonumber(ARGV[6]) <= tonumber(ARGV[7]) then
    redis.call('XADD', KEYS[1], '*', 'e', ARGV[9], 'a', ARGV[8], 'g', ARGV[1])
  else
    redis.call('ZADD', KEYS[2], ARGV[6], ARGV[8] .. '|' .. ARGV[9])
  end
end
for _, g in ipairs(groups_of(KEYS[1])) do
  if id_after(ARGV[2], g['last-delivered-id']) then return 1 end
  if #redis.call('XPENDING', KEYS[1], g['name'], ARGV[2], ARGV[2], 1) > 0 then return 1 end
end
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
`);

/**
 * Takes over up to COUNT deliveries idle longer than the visibility timeout (held by a member
 * that crashed, left or is too slow), with each one's delivery count from the pending list.
 * KEYS: stream. ARGV: group, consumer, minimum idle (ms), count.
 * Returns { id, deliveries, fields } per entry taken.
 */
export const claimScript = new LuaScript(`
local want = tonumber(ARGV[4])
local cursor = '0-0'
local out = {}
for round = 1, 10 do
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor,
    'COUNT', want - #out)
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    if type(entry) == 'table' and type(entry[2]) == 'table' then
      local held = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)[1]
      out[#out + 1] = { entry[1], held[4], entry[2] }
    end
  end
  if cursor == '0-0' or #out >= want then break end
end
return out
`);

/**
 * Moves due messages from delayed sets into the stream, at most `limit` per set, and tells
 * when the next one is due. KEYS: stream, then the delayed sets. ARGV: now, limit, then per
 * delayed set the group it belongs to ('' for every group).
 * Returns { moved, next due time or '' }.
 */
export const moveDueScript = new LuaScript(`
local moved = 0
local next_due = nil
for k = 2, #KEYS do
  local group = ARGV[k + 1]
  local due = redis.call('ZRANGEBYSCORE', KEYS[k], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
  for _, member in ipairs(due) do
    local bar = string.find(member, '|', 1, true)
    local fields = { 'e', string.sub(member, bar + 1) }
    local prior = string.sub(member, 1, bar - 1)
    if prior ~= '0' then
      fields[#fields + 1] = 'a'
      fields[#fields + 1] = prior
    end
    if group ~= '' then
      fields[#fields + 1] = 'g'
      fields[#fields + 1] = group
    end
    redis.call('XADD', KEYS[1], '*', unpack(fields))
    redis.call('ZREM', KEYS[k], member)
    moved = moved + 1
  end
  local first = redis.call('ZRANGE', KEYS[k], 0, 0, 'WITHSCORES')
  if first[2] then
    local score = tonumber(first[2])
    if next_due == nil or score < next_due then next_due = score end
  end
end
if next_due == nil then return { moved, '' } end
return { moved, string.format('%d', next_due) }
`);

/**
 * What a group has not acknowledged: its pending entries, the entries not yet delivered to
 * it (the group's lag, counted when Redis cannot tell it), and the delayed messages it will
 * get. KEYS: stream, delayed set, group's delayed set. ARGV: group.
 */
export const depthScript = new LuaScript(`
${helpers}
local waiting = redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
if redis.call('EXISTS', KEYS[1]) == 0 then return waiting end
local groups = groups_of(KEYS[1])
local mine = nil
for _, g in ipairs(groups) do
  if g['name'] == ARGV[1] then mine = g end
end
if mine == nil then
  if #groups == 0 then return waiting + redis.call('XLEN', KEYS[1]) end
  return waiting
end
local lag = mine['lag']
if type(lag) ~= 'number' then
  lag = 0
  local start = '(' .. mine['last-delivered-id']
  while true do
    local batch = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1000)
    lag = lag + #batch
    if #batch < 1000 then break end
    start = '(' .. batch[#batch][1]
  end
end
return waiting + mine['pending'] + lag
`);

/**
 * Removes a leaving consumer from its group when it holds nothing (deleting a consumer drops
 * its pending entries, so one that holds some stays until they are claimed).
 * KEYS: stream. ARGV: group, consumer. Returns 1 when removed.
 */
export const forgetConsumerScript = new LuaScript(`
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
`);
