#!/usr/bin/env node
// Cold start: process start to the first answered request (GET /api/health answering 200).
// Usage: node measure.mjs RUNS PORT NAME=EXECUTABLE [NAME=EXECUTABLE ...]
// Every variant is started RUNS times, interleaved (each round starts every variant once, in an order
// that rotates per round), after one unrecorded warm-up round that fills the file cache. The child
// inherits this process's environment, so the caller sets storage and runtime settings.
import { spawn } from 'node:child_process';
import { request } from 'node:http';

const [runsArg, portArg, ...specs] = process.argv.slice(2);
const runs = Number(runsArg);
const port = Number(portArg);
if (!(runs > 0) || !(port > 0) || specs.length === 0) {
  console.error('usage: node measure.mjs RUNS PORT NAME=EXECUTABLE [NAME=EXECUTABLE ...]');
  process.exit(2);
}
const variants = specs.map(s => ({ name: s.slice(0, s.indexOf('=')), exe: s.slice(s.indexOf('=') + 1), times: [] }));
const deadlineMs = 30_000;

function health() {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/api/health', agent: false }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

const delay = ms => new Promise(r => setTimeout(r, ms));

async function startOnce(variant) {
  const started = process.hrtime.bigint();
  const child = spawn(variant.exe, ['--urls', `http://127.0.0.1:${port}`], { stdio: 'ignore' });
  const exited = new Promise(resolve => child.on('exit', resolve));
  let early = null;
  child.on('exit', (code, signal) => { early ??= code ?? signal; });
  try {
    for (;;) {
      if (early !== null) {
        throw new Error(`${variant.name} exited with ${early} before answering`);
      }
      const status = await health();
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (status === 200) {
        return elapsed;
      }
      if (status !== 0) {
        throw new Error(`${variant.name}: /api/health answered ${status}`);
      }
      if (elapsed > deadlineMs) {
        throw new Error(`${variant.name} did not answer within ${deadlineMs} ms`);
      }
      // Connection refused comes back at once; a millisecond between tries bounds the error
      // without taking a core from the process being measured.
      await delay(1);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

for (let round = -1; round < runs; round++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + Math.max(round, 0)) % variants.length];
    const ms = await startOnce(v);
    if (round >= 0) {
      v.times.push(ms);
    }
  }
}

const stats = v => {
  const t = [...v.times].sort((a, b) => a - b);
  const median = t.length % 2 ? t[(t.length - 1) / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
  return { min: t[0], median, max: t[t.length - 1] };
};
const reference = name => {
  // The ratio is against the JIT (framework-dependent) build of the same app: "payments-jit" for "payments-aot".
  const base = name.replace(/-[^-]+$/, '') + '-jit';
  return variants.find(v => v.name === base);
};

const pad = (s, n) => String(s).padStart(n);
console.log(`cold start, process start to first 200 from GET /api/health; ${runs} runs each, interleaved (ms)`);
console.log(`${'variant'.padEnd(16)}${pad('min', 8)}${pad('median', 8)}${pad('max', 8)}${pad('vs JIT', 9)}`);
for (const v of variants) {
  const s = stats(v);
  const base = reference(v.name);
  const ratio = base ? (s.median / stats(base).median).toFixed(2) + 'x' : '';
  console.log(`${v.name.padEnd(16)}${pad(s.min.toFixed(0), 8)}${pad(s.median.toFixed(0), 8)}${pad(s.max.toFixed(0), 8)}${pad(ratio, 9)}`);
}
