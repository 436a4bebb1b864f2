#!/usr/bin/env node
// Checks that a build really works, beyond answering health: a payment created with a signed request
// (PAY1-HMAC-SHA256, as in api.md) is stored on Azurite and answered 202.
// Usage: node verify.mjs API_BASE_URL DEMO_JSON (the file `seed-demo --out` wrote)
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [base, demoFile] = process.argv.slice(2);
const demo = JSON.parse(readFileSync(demoFile, 'utf8'));

async function signed(method, path, body = '') {
  const ts = Math.floor(Date.now() / 1000);
  const nonce = randomBytes(18).toString('base64url');
  const bodyHash = createHash('sha256').update(body, 'utf8').digest('hex');
  const sig = createHmac('sha256', Buffer.from(demo.appSecret, 'utf8'))
    .update(`${method}\n${path}\n${ts}\n${nonce}\n${bodyHash}`, 'utf8').digest('base64url');
  const response = await fetch(base.replace(/\/$/, '') + path, {
    method,
    headers: {
      Authorization: `PAY1-HMAC-SHA256 app=${demo.appId},ts=${ts},nonce=${nonce},sig=${sig}`,
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body || undefined,
  });
  return { status: response.status, text: await response.text() };
}

const order = `coldstart-${Date.now()}-${randomBytes(4).toString('hex')}`;
const created = await signed('POST', '/api/v1/payments', JSON.stringify({
  merchantOrderNo: order, amount: 1999, currency: 'CNY', channel: 'wechatpay', method: 'qr', subject: 'Cold start check',
}));
if (created.status !== 202) {
  console.error(`POST /api/v1/payments answered ${created.status}: ${created.text}`);
  process.exit(1);
}
const id = JSON.parse(created.text).id;
const read = await signed('GET', `/api/v1/payments/${id}`);
if (read.status !== 200 || JSON.parse(read.text).merchantOrderNo !== order) {
  console.error(`GET /api/v1/payments/${id} answered ${read.status}: ${read.text}`);
  process.exit(1);
}
console.log(`created ${id} (202) and read it back (200)`);
