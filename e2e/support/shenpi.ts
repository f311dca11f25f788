// shenpi's own API as the specs use it to set the scene: a session for a seeded member (a free-login code minted
// by the emulator, exchanged at POST /api/session, as the app does), and requests submitted through shenpi.
import { randomUUID } from "node:crypto";
import { mintAuthCode } from "./containers";

export const SHENPI_URL = process.env.SHENPI_URL as string;

async function call<T>(path: string, init: RequestInit & { token?: string; key?: string } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body) headers["content-type"] = "application/json";
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.key) headers["idempotency-key"] = init.key;
  const response = await fetch(`${SHENPI_URL}${path}`, { ...init, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: HTTP ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A session token of shenpi's for `userId`. */
export async function sessionToken(userId: string): Promise<string> {
  const code = await mintAuthCode(userId);
  const session = await call<{ token: string }>("/api/session", {
    method: "POST",
    body: JSON.stringify({ authCode: code }),
  });
  return session.token;
}

/** Submits a request through shenpi as `userId`, with `extra` fields of the body (`picks`, ...); returns shenpi's
 * request (id, state, instanceId once known). */
export async function submitRequest(
  userId: string,
  processCode: string,
  values: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ id: string; state: string; instanceId?: string }> {
  const token = await sessionToken(userId);
  return call("/api/requests", {
    method: "POST",
    token,
    key: randomUUID(),
    body: JSON.stringify({ processCode, values, ...extra }),
  });
}

/** Waits until shenpi's request has its DingTalk instance; returns the instance id. */
export async function instanceOf(userId: string, requestId: string, timeoutMs = 15_000): Promise<string> {
  const token = await sessionToken(userId);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const request = await call<{ state: string; instanceId?: string; failure?: unknown }>(
      `/api/requests/${encodeURIComponent(requestId)}`,
      { token },
    );
    if (request.instanceId) return request.instanceId;
    if (request.state === "failed") throw new Error(`request ${requestId} failed: ${JSON.stringify(request.failure)}`);
    if (Date.now() > until) throw new Error(`request ${requestId} has no instance after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
