// Fidelity of the emulator's Stream mode with DingTalk's official npm client `dingtalk-stream` 2.1.5, unpatched.
//
// Usage: EMULATOR_URL=http://127.0.0.1:3100 node crates/dingtalk-emulator/fidelity/stream.mjs
// Prints one line per check, `ok <name>` or `not ok <name>: why`, and exits non-zero if any check failed.
//
// The SDK posts to the constant GATEWAY_URL (https://api.dingtalk.com/v1.0/gateway/connections/open) with the
// default axios instance. This script adds a request interceptor to that same instance (the SDK and this script
// import the one hoisted `axios`) which rewrites DingTalk's hosts to EMULATOR_URL. The SDK's own request body and
// headers reach the emulator as they would reach DingTalk; the WebSocket URL is whatever the emulator answers.

import { readFile } from 'node:fs/promises';

import axios from 'axios';
import { DWClient, EventAck } from 'dingtalk-stream';

const EMULATOR_URL = (process.env.EMULATOR_URL ?? '').replace(/\/+$/, '');
const UA = 'shenpi-fidelity/1.0';
const WAIT_MS = 8000;

let failures = 0;
function check(name, ok, why = '') {
  if (ok) {
    console.log(`ok ${name}`);
  } else {
    failures += 1;
    console.log(`not ok ${name}: ${String(why).replace(/\s*\n\s*/g, ' | ')}`);
  }
  return ok;
}

// The SDK talks on console.info/warn ("connect success", socket errors); keep stdout for the check lines.
console.info = (...args) => process.stderr.write(`${args.join(' ')}\n`);
console.warn = (...args) => process.stderr.write(`${args.join(' ')}\n`);

if (!EMULATOR_URL) {
  check('setup', false, 'EMULATOR_URL is not set');
  process.exit(1);
}
const watchdog = setTimeout(() => {
  check('finished in time', false, 'the script took longer than 60 s');
  process.exit(1);
}, 60_000);

let rewrites = 0;
axios.interceptors.request.use((config) => {
  for (const host of ['https://api.dingtalk.com', 'https://oapi.dingtalk.com']) {
    if (config.url?.startsWith(host)) {
      config.url = EMULATOR_URL + config.url.slice(host.length);
      rewrites += 1;
    }
  }
  return config;
});

async function control(method, path, body) {
  const res = await fetch(EMULATOR_URL + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls `probe` until it returns something truthy, or gives up after WAIT_MS with `undefined`. */
async function eventually(probe) {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

const ours = async () => (await control('GET', '/_emulator/stream/connections')).filter((c) => c.ua === UA);

/** The app's v1.0 access token (the SDK is not involved: this plays the app's own API calls). */
async function accessToken(appKey, appSecret) {
  const { accessToken } = await control('POST', '/v1.0/oauth2/accessToken', { appKey, appSecret });
  return accessToken;
}

/** Starts a real approval of PROC-EMU-GENERAL through the v1.0 API, as the app would; returns its instance id. */
async function startApproval(token, what) {
  const res = await fetch(`${EMULATOR_URL}/v1.0/workflow/processInstances`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-acs-dingtalk-access-token': token },
    body: JSON.stringify({
      processCode: 'PROC-EMU-GENERAL',
      originatorUserId: 'zhangsan',
      deptId: 101,
      formComponentValues: [
        { name: '事项名称', value: what },
        { name: '申请内容', value: 'Stream 模式保真检查' },
      ],
    }),
  });
  const body = await res.json();
  if (!res.ok || !body.instanceId) throw new Error(`create instance: ${res.status} ${JSON.stringify(body)}`);
  return body.instanceId;
}

/** The SDK's received EVENT frames about one instance, with `data` parsed. */
function about(received, instanceId) {
  return received
    .map((message) => {
      try {
        return { message, data: JSON.parse(message.data) };
      } catch {
        return { message, data: {} };
      }
    })
    .filter(({ data }) => data.processInstanceId === instanceId);
}

/**
 * Waits for the frame of `eventType`/`type` about an instance to reach the SDK's listener, checks its headers and
 * data, then that the gateway let go of every event about that instance (the SDK acked them). Returns the data.
 */
async function expectDelivered(name, received, instanceId, eventType, type, corpId) {
  const found = await eventually(() =>
    about(received, instanceId).find(({ message, data }) => message.headers?.eventType === eventType && data.type === type),
  );
  if (!check(`${name} arrives`, found, `no ${eventType}/${type} frame for ${instanceId}`)) return undefined;
  const { message, data } = found;
  check(
    `${name} has the right headers and data`,
    message.type === 'EVENT' &&
      message.headers.eventCorpId === corpId &&
      typeof message.headers.eventId === 'string' &&
      data.processCode === 'PROC-EMU-GENERAL',
    JSON.stringify(message),
  );
  const settled = await eventually(async () => {
    const raised = (await control('GET', '/_emulator/events')).filter((e) => e.data.processInstanceId === instanceId);
    const pending = await control('GET', '/_emulator/stream/pending');
    return !pending.some((p) => raised.some((e) => e.eventId === p.eventId));
  });
  check(`${name} is acked`, settled, 'the gateway still holds events about the instance');
  return data;
}

async function main() {
  const org = JSON.parse(await readFile(new URL('../fixtures/org.json', import.meta.url), 'utf8'));
  const { appKey, appSecret } = org.app;
  const corpId = org.corp.corpId;

  // A wrong secret: the SDK's own open-connection call is refused with DingTalk's 401 body.
  const bad = new DWClient({ clientId: appKey, clientSecret: 'wrong-secret', ua: UA });
  try {
    await bad.getEndpoint();
    check('bad credentials are refused', false, 'getEndpoint succeeded');
  } catch (e) {
    const res = e.response;
    check(
      'bad credentials are refused',
      res?.status === 401 && res.data?.code === 'authFailed' && typeof res.data?.requestid === 'string',
      `${e.message} ${JSON.stringify(res?.data)}`,
    );
  }

  const settings = await control('GET', '/_emulator/stream/settings');
  const received = [];
  const client = new DWClient({ clientId: appKey, clientSecret: appSecret, ua: UA });
  client.registerAllEventListener((message) => {
    received.push(message);
    return { status: EventAck.SUCCESS, message: 'ok' };
  });
  await client.connect();
  check('the SDK calls the emulator', rewrites > 0, 'the interceptor saw no DingTalk URL: another axios instance?');
  const connected = await eventually(async () => client.connected && (await ours()).length === 1);
  if (!check('connects', connected, `connected=${client.connected}`)) return;
  const [first] = await ours();
  check(
    'the open-connection request carries the SDK subscriptions',
    JSON.stringify(first.subscriptions) === JSON.stringify([{ type: 'EVENT', topic: '*' }]),
    JSON.stringify(first.subscriptions),
  );

  const token = await accessToken(appKey, appSecret);
  const instanceId = await startApproval(token, `保真检查 ${Date.now()}`);
  const started = await expectDelivered('instance start', received, instanceId, 'bpms_instance_change', 'start', corpId);
  check('instance start names the originator', started?.staffId === 'zhangsan', JSON.stringify(started));
  const task = await expectDelivered('task start', received, instanceId, 'bpms_task_change', 'start', corpId);
  check('task start names the approver and task', task?.staffId && task?.taskId, JSON.stringify(task));

  await control('POST', '/_emulator/stream/settings', { pingIntervalMs: 200, disconnectGraceMs: 200 });
  const echoed = await eventually(async () => (await ours())[0]?.pingsAnswered > 0);
  check('ping is echoed', echoed, JSON.stringify(await ours()));

  // `disconnect`, the close after the grace, then the SDK's own reconnect with a fresh ticket.
  await control('POST', `/_emulator/stream/connections/${first.connectionId}/disconnect`, {});
  const reconnected = await eventually(async () => {
    const now = await ours();
    return now.length === 1 && now[0].connectionId !== first.connectionId && client.connected;
  });
  check('reconnects after disconnect', reconnected, JSON.stringify(await ours()));
  // The approver agrees while the SDK is on its new connection: the finish events come over it.
  if (task?.staffId && task?.taskId) {
    await control('POST', '/_emulator/act', { userId: task.staffId, taskId: task.taskId, action: 'agree' });
    const done = await expectDelivered('task finish', received, instanceId, 'bpms_task_change', 'finish', corpId);
    check('task finish says agree', done?.result === 'agree', JSON.stringify(done));
    const over = await expectDelivered('instance finish', received, instanceId, 'bpms_instance_change', 'finish', corpId);
    check('instance finish says agree', over?.result === 'agree', JSON.stringify(over));
  }

  client.disconnect();
  await control('POST', '/_emulator/stream/settings', settings);
}

try {
  await main();
} catch (e) {
  check('runs', false, e.stack ?? String(e));
}
clearTimeout(watchdog);
process.exit(failures === 0 ? 0 : 1);
