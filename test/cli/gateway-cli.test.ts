import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/collect.js';
import {
  FIXTURE_AGENTS,
  rpc,
  startTestGateway,
  type TestGateway,
  userMessage,
} from '../support/gateway.js';
import { cli, jsonLines, startCli } from './run-cli.js';

// Every command runs as the real binary in a child process against a real gateway over HTTP.
describe('the gateway binary against a running gateway', () => {
  let gw: TestGateway;
  let env: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway();
    env = { GATEWAY_URL: gw.url };
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('send follows a task live to COMPLETED, as text and as JSON lines', {
    timeout: 120_000,
  }, async () => {
    const [text, json, blocking] = await Promise.all([
      cli(['send', 'echo', '/stream', '2'], env),
      cli(['send', 'echo', 'hello', 'there', '--json'], env),
      cli(['send', 'echo', 'once', '--no-stream', '--json'], env),
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^task \S+ \(context \S+\): submitted$/m);
    expect(text.stdout).toMatch(/^artifact \S+: chunk 1\/2$/m);
    expect(text.stdout).toMatch(/^artifact \S+ \[append, last\]: chunk 2\/2$/m);
    expect(text.stdout.trim().split('\n').at(-1)).toBe('status: completed');

    expect(json.code, json.stderr).toBe(0);
    const events = jsonLines(json.stdout);
    expect(events[0].task.status.state).toBe('TASK_STATE_SUBMITTED');
    const artifact = events.find((event) => event.artifactUpdate);
    expect(artifact.artifactUpdate.artifact.parts).toEqual([{ text: 'hello there' }]);
    expect(events.at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');

    expect(blocking.code, blocking.stderr).toBe(0);
    const answer = JSON.parse(blocking.stdout);
    expect(answer.task.status.state).toBe('TASK_STATE_COMPLETED');
  });

  it('send continues a task with --task and exits non-zero for a failed one', {
    timeout: 120_000,
  }, async () => {
    const asked = await cli(['send', 'echo', '/input', '--json'], env);
    expect(asked.code, asked.stderr).toBe(0);
    const first = jsonLines(asked.stdout);
    const taskId = first[0].task.id as string;
    expect(first.at(-1).statusUpdate.status.state).toBe('TASK_STATE_INPUT_REQUIRED');

    const [answered, failed] = await Promise.all([
      cli(['send', 'echo', 'my answer', '--task', taskId, '--json'], env),
      cli(['send', `${gw.url}/agents/echo/.well-known/agent-card.json`, '/fail'], env),
    ]);
    expect(answered.code, answered.stderr).toBe(0);
    const after = jsonLines(answered.stdout);
    for (const event of after)
      expect(event.task?.id ?? event.statusUpdate?.taskId ?? event.artifactUpdate?.taskId).toBe(
        taskId,
      );
    expect(after.at(-1).statusUpdate.taskId).toBe(taskId);
    expect(after.at(-1).statusUpdate.status.state).toBe('TASK_STATE_COMPLETED');

    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^status: failed /m);
  });

  it('tasks list, show and cancel over JSON-RPC, with clear errors', {
    timeout: 120_000,
  }, async () => {
    const done = await rpc(`${gw.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 1,
      method: 'SendMessage',
      params: { message: userMessage('listed') },
    });
    const doneId = done.body.result.task.id as string;
    const sleeping = await rpc(`${gw.url}/agents/echo`, {
      jsonrpc: '2.0',
      id: 2,
      method: 'SendMessage',
      params: { message: userMessage('/sleep 600000'), configuration: { returnImmediately: true } },
    });
    const sleepingId = sleeping.body.result.task.id as string;

    const [listJson, listTable, completedOnly, show, missing, cancel] = await Promise.all([
      cli(['tasks', 'list', '--json'], env),
      cli(['tasks', 'list', '--limit', '500'], env),
      cli(['tasks', 'list', '--state', 'completed', '--json'], env),
      cli(['tasks', 'show', doneId, '--json'], env),
      cli(['tasks', 'show', 'no-such-task'], env),
      cli(['tasks', 'cancel', sleepingId], env),
    ]);
    expect(listJson.code, listJson.stderr).toBe(0);
    const ids = (JSON.parse(listJson.stdout) as { id: string }[]).map((task) => task.id);
    expect(ids).toContain(doneId);
    expect(listTable.stdout).toMatch(/^ID\s+STATE\s+UPDATED\s+CONTEXT\s+STATUS$/m);
    expect(listTable.stdout).toContain(doneId);
    const states = (JSON.parse(completedOnly.stdout) as { status: { state: string } }[]).map(
      (task) => task.status.state,
    );
    expect(states.length).toBeGreaterThan(0);
    expect(new Set(states)).toEqual(new Set(['TASK_STATE_COMPLETED']));

    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      id: doneId,
      status: { state: 'TASK_STATE_COMPLETED' },
    });

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/JSON-RPC error -32001: .*no-such-task/);

    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout.trim()).toBe(`task ${sleepingId}: canceled`);
    const again = await cli(['tasks', 'cancel', sleepingId], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/JSON-RPC error -32002: /);
  });

  it('tasks show --as-of shows the task as it was at a position', {
    timeout: 120_000,
  }, async () => {
    const sent = await cli(['send', 'echo', 'then', '--json'], env);
    const events = jsonLines(sent.stdout);
    const taskId = events[0].task.id as string;
    const timeline = (await (await fetch(`${gw.url}/tasks/${taskId}/events`)).json()) as {
      events: { position: number; type: string }[];
    };
    const submitted = timeline.events.find((event) => event.type === 'task.submitted')!;
    const [then, before] = await Promise.all([
      cli(['tasks', 'show', taskId, '--as-of', String(submitted.position), '--json'], env),
      cli(['tasks', 'show', taskId, '--as-of', '1970-01-01T00:00:00Z'], env),
    ]);
    expect(then.code, then.stderr).toBe(0);
    const answer = JSON.parse(then.stdout);
    expect(answer.task.id).toBe(taskId);
    expect(answer.task.status.state).toBe('TASK_STATE_SUBMITTED');
    expect(String(answer.position)).toBe(String(submitted.position));
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('did not exist as of');
  });

  it('agents list from the gateway and from files; validate names each bad file and field', {
    timeout: 120_000,
  }, async () => {
    const bad = await mkdtemp(join(tmpdir(), 'cli-agents-'));
    try {
      await writeFile(join(bad, 'broken.json'), '{ not json');
      await writeFile(
        join(bad, 'misnamed.json'),
        JSON.stringify({
          name: 'Not A Name',
          card: {},
          executor: { kind: 'builtin', name: 'echo' },
        }),
      );
      const [served, table, files, valid, invalid] = await Promise.all([
        cli(['agents', 'list', '--json'], env),
        cli(['agents', 'list'], env),
        cli(['agents', 'list', '--dir', FIXTURE_AGENTS, '--json']),
        cli(['agents', 'validate', FIXTURE_AGENTS]),
        cli(['agents', 'validate', bad]),
      ]);
      expect(served.code, served.stderr).toBe(0);
      const agents = JSON.parse(served.stdout) as { agent: string; where: string }[];
      expect(agents.map((agent) => agent.agent)).toContain('echo');
      expect(agents.find((agent) => agent.agent === 'echo')?.where).toBe(`${gw.url}/agents/echo`);
      expect(table.stdout).toMatch(/^AGENT\s+NAME\s+VERSION\s+SKILLS\s+URL$/m);
      expect((JSON.parse(files.stdout) as { executor: string }[]).map((a) => a.executor)).toContain(
        'builtin',
      );

      expect(valid.code, valid.stderr).toBe(0);
      expect(valid.stdout).toContain('every agent file is valid');
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain(`${join(bad, 'broken.json')}: not valid JSON`);
      expect(invalid.stderr).toContain(`${join(bad, 'misnamed.json')}: name: `);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });

  it('events export writes NDJSON through /admin/events; tail follows live until Ctrl-C', {
    timeout: 120_000,
  }, async () => {
    const tail = startCli(
      ['events', 'tail', '--url', gw.url, '--from', 'start', '--json', '--type', 'task.submitted'],
      env,
    );
    const sent = await cli(['send', 'echo', 'exported', '--json'], env);
    const taskId = jsonLines(sent.stdout)[0].task.id as string;

    const [all, onlyStatus] = await Promise.all([
      cli(['events', 'export', '--url', gw.url]),
      cli(['events', 'export', '--url', gw.url, '--type', 'task.status_changed']),
    ]);
    expect(all.code, all.stderr).toBe(0);
    const lines = jsonLines(all.stdout);
    const positions = lines.map((event) => event.globalPosition as number);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(
      lines.filter((event) => event.streamId === `task-${taskId}`).map((e) => e.type),
    ).toContain('task.submitted');
    const statuses = jsonLines(onlyStatus.stdout);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses.map((event) => event.type))).toEqual(new Set(['task.status_changed']));
    expect(all.stderr).toBe('');

    await eventually(() => tail.stdout().includes(`"task-${taskId}"`), 60_000);
    expect(jsonLines(tail.stdout()).every((event) => event.type === 'task.submitted')).toBe(true);
    tail.child.kill('SIGINT');
    expect(await tail.exited).toBe(0);
  });

  it('refuses bad admin event queries with 400, never a 5xx', async () => {
    for (const query of ['after=-1', 'limit=0', 'from=yesterday', 'bogus=1']) {
      const response = await fetch(`${gw.url}/admin/events?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    }
    const stream = await fetch(`${gw.url}/admin/events/stream?from=later`);
    expect(stream.status).toBe(400);
  });
});
