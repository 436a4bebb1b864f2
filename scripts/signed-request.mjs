#!/usr/bin/env node
// Sends one request signed with PAY1-HMAC-SHA256 as the demo app (.local/demo.json), and prints the answer.
// Usage: node scripts/signed-request.mjs METHOD PATH [JSON-BODY]
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [method = 'GET', path = '/api/v1/payments?merchantOrderNo=demo-1', body = ''] = process.argv.slice(2);
const demo = JSON.parse(readFileSync(new URL('../.local/demo.json', import.meta.url), 'utf8'));
const ts = Math.floor(Date.now() / 1000);
const nonce = randomBytes(18).toString('base64url');
const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
const toSign = `${method}\n${path}\n${ts}\n${nonce}\n${bodyHash}`;
const sig = createHmac('sha256', Buffer.from(demo.appSecret, 'utf8')).update(toSign, 'utf8').digest('base64url');

const response = await fetch(demo.apiBaseUrl.replace(/\/$/, '') + path, {
  method,
  headers: {
    Authorization: `PAY1-HMAC-SHA256 app=${demo.appId},ts=${ts},nonce=${nonce},sig=${sig}`,
    ...(body ? { 'Content-Type': 'application/json' } : {}),
  },
  body: body || undefined,
});
const text = await response.text();
console.log(`HTTP ${response.status}${response.headers.get('location') ? `  Location: ${response.headers.get('location')}` : ''}`);
try { console.log(JSON.stringify(JSON.parse(text), null, 2)); } catch { console.log(text); }
