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

async function raise(instanceId) {
  return control('POST', '/_emulator/events', {
    eventType: 'bpms_instance_change',
    data: {
      processInstanceId: instanceId,
      processCode: 'PROC-EMU-GENERAL',
      type: 'start',
      title: '张三提交的通用审批',
      staffId: 'zhangsan',
      createTime: Date.now(),
    },
  });
}

/** Waits for the event to reach the SDK's listener, checks its frame, then that the gateway let go of it. */
async function expectDelivered(name, received, event, corpId) {
  const message = await eventually(() => received.find((m) => m.headers?.eventId === event.eventId));
  if (!check(`${name} arrives`, message, `no EVENT frame with eventId ${event.eventId}`)) return;
  let data = {};
  try {
    data = JSON.parse(message.data);
  } catch (e) {
    check(`${name} data is a JSON string`, false, String(e));
  }
  check(
    `${name} has the right eventType and data`,
    message.type === 'EVENT' &&
      message.headers.eventType === 'bpms_instance_change' &&
      message.headers.eventCorpId === corpId &&
      data.processInstanceId === event.data.processInstanceId &&
      data.processCode === 'PROC-EMU-GENERAL',
    JSON.stringify(message),
  );
  const settled = await eventually(async () => {
    const pending = await control('GET', '/_emulator/stream/pending');
    return !pending.some((p) => p.eventId === event.eventId);
  });
  check(`${name} is acked`, settled, 'the gateway still holds the event');
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

  await expectDelivered('event', received, await raise(`fidelity-${Date.now()}-1`), corpId);

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
  await expectDelivered('event after reconnecting', received, await raise(`fidelity-${Date.now()}-2`), corpId);

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
