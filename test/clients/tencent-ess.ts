/**
 * Tencent Cloud ESS's official Node SDK (tencentcloud-sdk-nodejs, ess v20201111, unmodified) pointed at a base URL, as
 * a customer moving off Tencent would point it: the SDK is the client here, this file only configures it. It imports
 * nothing from this service.
 *
 * The SDK signs every call with Tencent Cloud API 3.0 signature v3 (TC3-HMAC-SHA256) and posts the JSON body to `/`
 * of its endpoint with `X-TC-Action` and `X-TC-Version: 2020-11-11`, which is what the DescribeSignFaceVideo page
 * (../shared/seeds/tencent-ess-describe-sign-face-video.txt, "输入示例") shows. The page is silent on endpoints other
 * than ess.tencentcloudapi.com: the SDK's `httpProfile.endpoint` takes a host (and port) instead, and names the signed
 * service after its first label (`ess` for ess.tencentcloudapi.com), so the service a deployment sees in the
 * credential scope depends on its host name. A base URL with a path is passed on as the SDK builds URLs
 * (`protocol + endpoint + "/"`); the signature then covers that path.
 */
import { createRequire } from 'node:module';
import type { Client as EssClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/ess/v20201111/ess_client.js';

export type { EssClient };
export type { DescribeSignFaceVideoResponse } from 'tencentcloud-sdk-nodejs/tencentcloud/services/ess/v20201111/ess_models.js';

const require = createRequire(import.meta.url);

export interface TencentCredentials {
  /** SecretId: for a self-hosted deployment, the appId. */
  secretId: string;
  /** SecretKey: for a self-hosted deployment, the appKey. */
  secretKey: string;
}

/** An ess v20201111 client for `baseUrl` (`https://host[:port][/path]`). Region is left out: "Region | 否" (optional). */
export function essClient(baseUrl: string, credential: TencentCredentials): EssClient {
  // The ESS service module alone: the package's index loads every Tencent product's client.
  const { Client } = require('tencentcloud-sdk-nodejs/tencentcloud/services/ess/v20201111/ess_client.js') as { Client: typeof EssClient };
  const url = new URL(baseUrl);
  const endpoint = `${url.host}${url.pathname.replace(/\/+$/, '')}`;
  return new Client({ credential, profile: { httpProfile: { endpoint, protocol: `${url.protocol}//` } } });
}

/** What the SDK throws for an API error (`Response.Error`): TencentCloudSDKHttpException with the error's Code. */
export interface TencentSdkError extends Error {
  code?: string;
  requestId: string;
}
