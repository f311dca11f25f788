// Approvals started straight on the emulator's DingTalk API (as shenpi's server would start them), for specs that
// need someone to have a task.
import { readFile } from "node:fs/promises";
import { EMULATOR_URL } from "./containers";
import { ORG_FIXTURE } from "./paths";

async function appToken(): Promise<string> {
  const org = JSON.parse(await readFile(ORG_FIXTURE, "utf8"));
  const response = await fetch(`${EMULATOR_URL}/v1.0/oauth2/accessToken`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ appKey: org.app.appKey, appSecret: org.app.appSecret }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`accessToken: ${JSON.stringify(body)}`);
  return body.accessToken;
}

/**
 * Starts a 通用审批 (PROC-EMU-GENERAL: the originator's direct manager approves); returns its instance id, or null
 * while the emulator's form checks are still a stub that refuses every form.
 */
export async function startGeneralApproval(
  originatorUserId: string,
  deptId: number,
  subject: string,
): Promise<string> {
  const response = await fetch(`${EMULATOR_URL}/v1.0/workflow/processInstances`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-acs-dingtalk-access-token": await appToken() },
    body: JSON.stringify({
      processCode: "PROC-EMU-GENERAL",
      originatorUserId,
      deptId,
      formComponentValues: [
        { name: "事项名称", value: subject },
        { name: "申请内容", value: `${subject}：请审批` },
      ],
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`processInstances: ${JSON.stringify(body)}`);
  return body.instanceId;
}

/** A member's running tasks, from the emulator's control API. */
export async function runningTasks(userId: string): Promise<Array<{ taskId: number; processInstanceId: string }>> {
  const response = await fetch(`${EMULATOR_URL}/_emulator/tasks?userId=${encodeURIComponent(userId)}`);
  if (!response.ok) throw new Error(`tasks: HTTP ${response.status}`);
  return response.json();
}
